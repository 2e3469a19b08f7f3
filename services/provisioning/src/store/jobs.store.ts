import { type JobStatus, type ProvisioningJobAction } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, isoOrNull, json, tenantIs, writeTenant } from './sql';

/** What a job does: billing's lifecycle requests, and a change of package (contracts' ProvisioningJobAction). */
export type { ProvisioningJobAction };

export interface Job {
  id: string;
  tenantId: string;
  serviceId: string;
  clientId: string;
  action: ProvisioningJobAction;
  status: JobStatus;
  request: Record<string, unknown>;
  eventId: string;
  correlationId: string | null;
  attempts: number;
  maxAttempts: number;
  nextRunAt: string;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

interface JobRow {
  id: string;
  tenant_id: string;
  service_id: string;
  client_id: string;
  action: ProvisioningJobAction;
  status: JobStatus;
  request: Record<string, unknown>;
  event_id: string;
  correlation_id: string | null;
  attempts: number;
  max_attempts: number;
  next_run_at: Date;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
  finished_at: Date | null;
}

const toJob = (r: JobRow): Job => ({
  id: r.id,
  tenantId: r.tenant_id,
  serviceId: r.service_id,
  clientId: r.client_id,
  action: r.action,
  status: r.status,
  request: r.request,
  eventId: r.event_id,
  correlationId: r.correlation_id,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  nextRunAt: iso(r.next_run_at),
  lastError: r.last_error,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
  finishedAt: isoOrNull(r.finished_at),
});

export interface JobRequest {
  id: string;
  serviceId: string;
  clientId: string;
  action: ProvisioningJobAction;
  request: Record<string, unknown>;
  eventId: string;
  correlationId: string | null;
  maxAttempts: number;
  /**
   * The request's own idempotency key (a change's changeId): one job per key, never re-armed by a request
   * under the same key. Absent: one job per (service, action), re-armed by a later request.
   */
  requestKey?: string;
}

/**
 * Records a requested action: one row per (service, action). A request while that job waits or runs joins
 * it (the job will do it); a request after it finished or failed arms it again, as a fresh job. A keyed
 * request (`requestKey`) is one row per key: the same key again joins its job whatever its state.
 */
export async function recordJob(tx: Tx, scope: TenantScope, j: JobRequest): Promise<Job> {
  const [r] = await rows<JobRow>(
    tx,
    sql`insert into jobs (id, tenant_id, service_id, client_id, action, status, request, event_id, correlation_id,
                          max_attempts, request_key)
        values (${j.id}, ${writeTenant(scope)}, ${j.serviceId}, ${j.clientId}, ${j.action}, 'pending',
                ${json(j.request)}, ${j.eventId}, ${j.correlationId}, ${j.maxAttempts}, ${j.requestKey ?? ''})
        on conflict (tenant_id, service_id, action, request_key) do update
          set status = 'pending', request = excluded.request, event_id = excluded.event_id,
              correlation_id = excluded.correlation_id, max_attempts = excluded.max_attempts, attempts = 0,
              requested_at = clock_timestamp(), next_run_at = clock_timestamp(), locked_until = null,
              last_error = null, finished_at = null, updated_at = clock_timestamp()
          where jobs.status in ('done', 'failed') and jobs.request_key = ''
        returning *`,
  );
  return r ? toJob(r) : (await findJobFor(tx, scope, j.serviceId, j.action, j.requestKey ?? ''))!;
}

async function findJobFor(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
  action: ProvisioningJobAction,
  requestKey: string,
) {
  const [r] = await rows<JobRow>(
    tx,
    sql`select * from jobs where ${tenantIs(scope)} and service_id = ${serviceId} and action = ${action}
          and request_key = ${requestKey}`,
  );
  return r ? toJob(r) : null;
}

/** Wakes the runners after this transaction commits (they also poll). */
export const JOBS_CHANNEL = 'provisioning_jobs';
export const notifyRunners = (tx: Tx) => tx.execute(sql`select pg_notify(${JOBS_CHANNEL}, '')`);

/**
 * THE cross-tenant claim (run with `withTenant(allTenants, …)` by the job runner): up to `limit` due jobs,
 * each taken with FOR UPDATE SKIP LOCKED (replicas never take the same one) and leased for `leaseMs` (a
 * runner that dies loses its lease, and the job is taken again). A job waits while an earlier-requested
 * job of the same service is unfinished, so a service's actions apply in the order billing asked for them.
 * `attempts` counts claims and is the fencing token of the claim.
 */
export async function claimDueJobs(tx: Tx, limit: number, leaseMs: number): Promise<Job[]> {
  const rs = await rows<JobRow>(
    tx,
    sql`update jobs set status = 'running', attempts = attempts + 1, updated_at = clock_timestamp(),
               locked_until = clock_timestamp() + make_interval(secs => ${leaseMs / 1000})
        where id in (
          select j.id from jobs j
          where j.next_run_at <= clock_timestamp()
            and (j.status = 'pending' or (j.status = 'running' and j.locked_until < clock_timestamp()))
            and not exists (
              select 1 from jobs e
              where e.tenant_id = j.tenant_id and e.service_id = j.service_id and e.id <> j.id
                and e.status in ('pending', 'running') and e.requested_at < j.requested_at)
          order by j.next_run_at
          limit ${limit}
          for update skip locked)
        returning *`,
  );
  return rs.map(toJob);
}

type Claim = Pick<Job, 'id' | 'attempts'>;
const claimed = (scope: TenantScope, c: Claim) =>
  sql`${tenantIs(scope)} and id = ${c.id} and status = 'running' and attempts = ${c.attempts}`;

/** Ends a claimed job; false when the claim was lost (another runner took the job over). */
export async function finishJob(tx: Tx, scope: TenantScope, c: Claim): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update jobs set status = 'done', finished_at = clock_timestamp(), updated_at = clock_timestamp(),
               locked_until = null, last_error = null
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

export async function retryJobLater(
  tx: Tx,
  scope: TenantScope,
  c: Claim,
  delayMs: number,
  error: string,
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update jobs set status = 'pending', locked_until = null, last_error = ${error.slice(0, 1000)},
               next_run_at = clock_timestamp() + make_interval(secs => ${delayMs / 1000}),
               updated_at = clock_timestamp()
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

export async function failJob(tx: Tx, scope: TenantScope, c: Claim, error: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update jobs set status = 'failed', locked_until = null, last_error = ${error.slice(0, 1000)},
               finished_at = clock_timestamp(), updated_at = clock_timestamp()
        where ${claimed(scope, c)} returning id`,
  );
  return r.length > 0;
}

/**
 * Staff's retry of a failed job: a fresh set of attempts, due now, in its original place among the
 * service's jobs. Null unless it was failed.
 */
export async function rearmFailedJob(tx: Tx, scope: TenantScope, id: string): Promise<Job | null> {
  const [r] = await rows<JobRow>(
    tx,
    sql`update jobs set status = 'pending', attempts = 0, next_run_at = clock_timestamp(),
               finished_at = null, updated_at = clock_timestamp()
        where ${tenantIs(scope)} and id = ${id} and status = 'failed' returning *`,
  );
  return r ? toJob(r) : null;
}

export async function findJob(tx: Tx, scope: TenantScope, id: string): Promise<Job | null> {
  const [r] = await rows<JobRow>(tx, sql`select * from jobs where ${tenantIs(scope)} and id = ${id}`);
  return r ? toJob(r) : null;
}

export async function listJobs(
  tx: Tx,
  scope: TenantScope,
  filter: { status?: JobStatus; serviceId?: string } = {},
): Promise<Job[]> {
  const rs = await rows<JobRow>(
    tx,
    sql`select * from jobs where ${tenantIs(scope)}
          ${filter.status ? sql`and status = ${filter.status}` : sql``}
          ${filter.serviceId ? sql`and service_id = ${filter.serviceId}` : sql``}
        order by created_at desc, id desc limit 500`,
  );
  return rs.map(toJob);
}
