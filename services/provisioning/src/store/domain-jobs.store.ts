import { type DomainJobAction } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, isoOrNull, json, tenantIs, writeTenant } from './sql';

export type DomainJobStatus = 'pending' | 'running' | 'done' | 'failed';

export interface DomainJob {
  id: string;
  tenantId: string;
  domainId: string;
  action: DomainJobAction;
  requestKey: string;
  status: DomainJobStatus;
  request: Record<string, unknown>;
  state: Record<string, unknown>;
  eventId: string | null;
  correlationId: string | null;
  attempts: number;
  maxAttempts: number;
  polls: number;
  nextRunAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface Row {
  id: string;
  tenant_id: string;
  domain_id: string;
  action: DomainJobAction;
  request_key: string;
  status: DomainJobStatus;
  request: Record<string, unknown>;
  state: Record<string, unknown>;
  event_id: string | null;
  correlation_id: string | null;
  attempts: number;
  max_attempts: number;
  polls: number;
  next_run_at: Date;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toJob = (r: Row): DomainJob => ({
  id: r.id,
  tenantId: r.tenant_id,
  domainId: r.domain_id,
  action: r.action,
  requestKey: r.request_key,
  status: r.status,
  request: r.request,
  state: r.state,
  eventId: r.event_id,
  correlationId: r.correlation_id,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  polls: r.polls,
  nextRunAt: iso(r.next_run_at),
  lastError: r.last_error,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  finishedAt: isoOrNull(r.finished_at),
});

export interface DomainJobRequest {
  id: string;
  domainId: string;
  action: DomainJobAction;
  requestKey: string;
  request: Record<string, unknown>;
  eventId: string | null;
  correlationId: string | null;
  maxAttempts: number;
}

/**
 * Records a requested action, once per (domain, action, key): the same key again while the job waits
 * replaces its request (a newer nameserver set wins); after it finished, a `rearm` request (a change)
 * arms it again, anything else (a redelivered registration, the same renewal invoice) is left as it is.
 */
export async function recordDomainJob(
  tx: Tx,
  scope: TenantScope,
  j: DomainJobRequest,
  rearm: boolean,
): Promise<DomainJob> {
  const [r] = await rows<Row>(
    tx,
    sql`insert into domain_jobs (id, tenant_id, domain_id, action, request_key, status, request, event_id,
                                 correlation_id, max_attempts)
        values (${j.id}, ${writeTenant(scope)}, ${j.domainId}, ${j.action}, ${j.requestKey}, 'pending',
                ${json(j.request)}, ${j.eventId}, ${j.correlationId}, ${j.maxAttempts})
        on conflict (tenant_id, domain_id, action, request_key) do update
          set status = 'pending', request = excluded.request, event_id = excluded.event_id,
              correlation_id = excluded.correlation_id, attempts = 0, polls = 0, state = '{}',
              requested_at = clock_timestamp(), next_run_at = clock_timestamp(), locked_until = null,
              last_error = null, finished_at = null, updated_at = clock_timestamp()
          where ${rearm} and domain_jobs.status in ('pending', 'done', 'failed')
        returning *`,
  );
  if (r) return toJob(r);
  const [found] = await rows<Row>(
    tx,
    sql`select * from domain_jobs where ${tenantIs(scope)} and domain_id = ${j.domainId} and action = ${j.action}
          and request_key = ${j.requestKey}`,
  );
  return toJob(found!);
}

/**
 * THE cross-tenant claim of due domain jobs (FOR UPDATE SKIP LOCKED, leased; `attempts` is the fencing
 * token). A domain's jobs run in the order they were requested: one waits while an earlier one of the same
 * domain is unfinished (a renewal never overtakes the registration). Callbacks neither wait nor hold others
 * up: one may be what ends the transfer that is waiting.
 */
export async function claimDueDomainJobs(tx: Tx, limit: number, leaseMs: number): Promise<DomainJob[]> {
  const rs = await rows<Row>(
    tx,
    sql`update domain_jobs set status = 'running', attempts = attempts + 1, updated_at = clock_timestamp(),
               locked_until = clock_timestamp() + make_interval(secs => ${leaseMs / 1000})
        where id in (
          select j.id from domain_jobs j
          where j.next_run_at <= clock_timestamp()
            and (j.status = 'pending' or (j.status = 'running' and j.locked_until < clock_timestamp()))
            and (j.action = 'callback' or not exists (
              select 1 from domain_jobs e
              where e.tenant_id = j.tenant_id and e.domain_id = j.domain_id and e.id <> j.id
                and e.action <> 'callback'
                and e.status in ('pending', 'running') and e.requested_at < j.requested_at))
          order by j.next_run_at
          limit ${limit}
          for update skip locked)
        returning *`,
  );
  return rs.map(toJob);
}

type Claim = Pick<DomainJob, 'id' | 'attempts'>;
const claimed = (scope: TenantScope, c: Claim) =>
  sql`${tenantIs(scope)} and id = ${c.id} and status = 'running' and attempts = ${c.attempts}`;

export async function finishDomainJob(tx: Tx, scope: TenantScope, c: Claim): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update domain_jobs set status = 'done', finished_at = clock_timestamp(), updated_at = clock_timestamp(),
               locked_until = null, last_error = null
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

/** Saves what the next attempt must know (under the claim), before a call that may time out. */
export async function saveDomainJobState(
  tx: Tx,
  scope: TenantScope,
  c: Claim,
  state: Record<string, unknown>,
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update domain_jobs set state = ${json(state)}, updated_at = clock_timestamp()
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

export async function retryDomainJobLater(
  tx: Tx,
  scope: TenantScope,
  c: Claim,
  delayMs: number,
  error: string | null,
  poll = false,
): Promise<boolean> {
  // A poll (a transfer still pending) is not a failure: its attempts start again, its polls count up.
  const r = await rows<{ id: string }>(
    tx,
    sql`update domain_jobs set status = 'pending', locked_until = null, last_error = ${error?.slice(0, 1000) ?? null},
               next_run_at = clock_timestamp() + make_interval(secs => ${delayMs / 1000}),
               ${poll ? sql`attempts = 0, polls = polls + 1,` : sql``}
               updated_at = clock_timestamp()
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

export async function failDomainJob(tx: Tx, scope: TenantScope, c: Claim, error: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update domain_jobs set status = 'failed', locked_until = null, last_error = ${error.slice(0, 1000)},
               finished_at = clock_timestamp(), updated_at = clock_timestamp()
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

export async function rearmFailedDomainJob(tx: Tx, scope: TenantScope, id: string) {
  const [r] = await rows<Row>(
    tx,
    sql`update domain_jobs set status = 'pending', attempts = 0, next_run_at = clock_timestamp(),
               finished_at = null, updated_at = clock_timestamp()
        where ${tenantIs(scope)} and id = ${id} and status = 'failed' returning *`,
  );
  return r ? toJob(r) : null;
}

export async function listDomainJobs(
  tx: Tx,
  scope: TenantScope,
  filter: { status?: DomainJobStatus; domainId?: string } = {},
): Promise<DomainJob[]> {
  const rs = await rows<Row>(
    tx,
    sql`select * from domain_jobs where ${tenantIs(scope)}
          ${filter.status ? sql`and status = ${filter.status}` : sql``}
          ${filter.domainId ? sql`and domain_id = ${filter.domainId}` : sql``}
        order by created_at desc, id desc limit 500`,
  );
  return rs.map(toJob);
}

export async function findDomainJob(tx: Tx, scope: TenantScope, id: string): Promise<DomainJob | null> {
  const [r] = await rows<Row>(tx, sql`select * from domain_jobs where ${tenantIs(scope)} and id = ${id}`);
  return r ? toJob(r) : null;
}
