import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { isUniqueViolation, writeTenant } from './sql';

export interface CallbackRecord {
  id: string;
  accountId: string;
  dedupeKey: string | null;
  status: 'accepted' | 'refused';
  reason: string | null;
  domain: string | null;
  body: string;
}

/**
 * Records a callback. An accepted one with a key already seen is not recorded again: false then (the
 * replay). Runs in a savepoint so the unique violation leaves the caller's transaction usable.
 */
export async function recordCallback(tx: Tx, scope: TenantScope, c: CallbackRecord): Promise<boolean> {
  try {
    await tx.transaction(async (sp) => {
      await sp.execute(
        sql`insert into registrar_callbacks (id, tenant_id, account_id, dedupe_key, status, reason, domain, body)
            values (${c.id}, ${writeTenant(scope)}, ${c.accountId}, ${c.dedupeKey}, ${c.status}, ${c.reason},
                    ${c.domain}, ${c.body})`,
      );
    });
    return true;
  } catch (err) {
    if (isUniqueViolation(err)) return false;
    throw err;
  }
}

export async function markCallbackApplied(tx: Tx, scope: TenantScope, id: string) {
  await tx.execute(
    sql`update registrar_callbacks set status = 'applied', applied_at = clock_timestamp()
        where tenant_id = ${writeTenant(scope)} and id = ${id}`,
  );
}

export async function listCallbacks(tx: Tx, scope: TenantScope, accountId: string) {
  return rows<{
    id: string;
    status: string;
    reason: string | null;
    domain: string | null;
    dedupe_key: string | null;
  }>(
    tx,
    sql`select id, status, reason, domain, dedupe_key from registrar_callbacks
        where tenant_id = ${writeTenant(scope)} and account_id = ${accountId} order by received_at`,
  );
}
