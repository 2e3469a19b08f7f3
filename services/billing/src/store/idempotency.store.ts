import { rows, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export interface IdempotencyRecord {
  requestHash: string;
  status: 'running' | 'done';
  responseStatus: number | null;
  responseBody: unknown;
  ageMs: number;
}

export interface KeyRef {
  tenantId: string;
  callerId: string;
  key: string;
}

/** Claims a key for a request; false when the key already exists (running or done). */
export async function claimKey(tx: Tx, ref: KeyRef, requestHash: string): Promise<boolean> {
  const r = await rows<{ key: string }>(
    tx,
    sql`insert into idempotency_keys (tenant_id, caller_id, key, request_hash, status)
        values (${ref.tenantId}, ${ref.callerId}, ${ref.key}, ${requestHash}, 'running')
        on conflict do nothing returning key`,
  );
  return r.length > 0;
}

export async function readKey(tx: Tx, ref: KeyRef): Promise<IdempotencyRecord | null> {
  const [r] = await rows<{
    request_hash: string;
    status: 'running' | 'done';
    response_status: number | null;
    response_body: unknown;
    age_ms: number;
  }>(
    tx,
    sql`select request_hash, status, response_status, response_body,
               (extract(epoch from now() - created_at) * 1000)::float8 as age_ms
          from idempotency_keys
         where tenant_id = ${ref.tenantId} and caller_id = ${ref.callerId} and key = ${ref.key}`,
  );
  return r
    ? {
        requestHash: r.request_hash,
        status: r.status,
        responseStatus: r.response_status,
        responseBody: r.response_body,
        ageMs: Number(r.age_ms),
      }
    : null;
}

/** Stores the answer, in the same transaction as the work it answers for. */
export async function completeKey(tx: Tx, ref: KeyRef, status: number, body: unknown): Promise<void> {
  await tx.execute(sql`
    update idempotency_keys set status = 'done', response_status = ${status},
           response_body = ${JSON.stringify(body)}::json
     where tenant_id = ${ref.tenantId} and caller_id = ${ref.callerId} and key = ${ref.key}`);
}

/** Gives a key back after a failed attempt (nothing was done, so the same request may be tried again). */
export async function releaseKey(tx: Tx, ref: KeyRef): Promise<void> {
  await tx.execute(sql`
    delete from idempotency_keys
     where tenant_id = ${ref.tenantId} and caller_id = ${ref.callerId} and key = ${ref.key} and status = 'running'`);
}

/** Takes over a claim left 'running' by a process that died (older than the given age). */
export async function reclaimStaleKey(tx: Tx, ref: KeyRef, requestHash: string, olderThanMs: number) {
  const r = await rows<{ key: string }>(
    tx,
    sql`update idempotency_keys set created_at = now()
         where tenant_id = ${ref.tenantId} and caller_id = ${ref.callerId} and key = ${ref.key}
           and status = 'running' and request_hash = ${requestHash}
           and created_at < now() - make_interval(secs => ${olderThanMs / 1000})
         returning key`,
  );
  return r.length > 0;
}
