import { tenantScope, allTenants, type KitLogger } from '@geminis/service-kit';
import { backoffMs } from '../domain/fill';
import { isPanelError } from '../modules/panel';
import {
  claimDueDomainJobs,
  failDomainJob,
  finishDomainJob,
  retryDomainJobLater,
  type DomainJob,
} from '../store/domain-jobs.store';
import { findDomain } from '../store/domains.store';
import { JOBS_CHANNEL } from '../store/jobs.store';
import { failDomain, runDomainStep, type DomainJobDeps } from './domain-steps';
import { JobFailure } from './job-context';
import { DEFAULT_RUNNER_OPTIONS, type JobRunnerOptions } from './job-runner';

export interface DomainRunnerOptions extends JobRunnerOptions {
  /** Status reads of a pending transfer before its job gives up (transfers take days, not weeks). */
  maxPolls: number;
}

class LostClaim extends Error {}

/**
 * Runs due domain jobs the way provisioning's job runner runs panel jobs (same claim with FOR UPDATE SKIP
 * LOCKED under a lease, fencing by attempts, backoff with full jitter, the same wake-up channel), never in
 * a request or an event handler. A pending transfer is polled: its job goes back to wait without spending
 * attempts. A refusal the registrar will repeat, or the last attempt, fails the job visibly; a registration
 * or transfer that fails tells billing once (`registration_failed`).
 */
export function createDomainRunner(
  deps: DomainJobDeps & { logger: KitLogger; options?: Partial<DomainRunnerOptions> },
) {
  const { db } = deps;
  const given = Object.entries(deps.options ?? {}).filter(([, v]) => v !== undefined);
  const options: DomainRunnerOptions = {
    ...DEFAULT_RUNNER_OPTIONS,
    maxPolls: 2016,
    ...Object.fromEntries(given),
  };
  const log = deps.logger.child({ component: 'domain-runner' });
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let wake: (() => void) | undefined;

  async function execute(job: DomainJob): Promise<void> {
    const scope = tenantScope(job.tenantId);
    const jobLog = log.child({
      jobId: job.id,
      tenantId: job.tenantId,
      action: job.action,
      attempt: job.attempts,
    });
    try {
      const result = await runDomainStep(deps, job);
      if ('poll' in result) {
        if (job.polls + 1 >= options.maxPolls)
          throw new JobFailure('the transfer is still pending after every status read', false);
        await db.withTenant(scope, (tx) =>
          retryDomainJobLater(tx, scope, job, deps.transferPollMs, null, true),
        );
        return;
      }
      await db.withTenant(scope, async (tx) => {
        if (!(await finishDomainJob(tx, scope, job))) throw new LostClaim();
        await result.done(tx);
      });
      jobLog.info({ domainId: job.domainId }, 'domain job done');
    } catch (err) {
      if (err instanceof LostClaim) {
        jobLog.warn({}, 'domain job taken over by another runner; result discarded');
        return;
      }
      await settleFailure(job, err, jobLog).catch((e: unknown) =>
        jobLog.error({ err: e }, 'could not record the failure; the lease will expire and the job run again'),
      );
    }
  }

  async function settleFailure(job: DomainJob, err: unknown, jobLog: KitLogger) {
    const scope = tenantScope(job.tenantId);
    const known = err instanceof JobFailure || isPanelError(err);
    const message = known ? (err as Error).message : 'internal error (see the service log)';
    const permanent = (err instanceof JobFailure && !err.retryable) || (isPanelError(err) && !err.retryable);
    if (!known) jobLog.error({ err }, 'domain job attempt failed unexpectedly');
    await db.withTenant(scope, async (tx) => {
      if (!permanent && job.attempts < job.maxAttempts) {
        const delay = backoffMs(job.attempts, options.baseDelayMs, options.maxDelayMs);
        await retryDomainJobLater(tx, scope, job, delay, message);
        jobLog.warn({ delayMs: delay, error: message }, 'domain job attempt failed; will retry');
        return;
      }
      if (!(await failDomainJob(tx, scope, job, message))) return;
      jobLog.warn({ error: message }, 'domain job failed');
      if (job.action !== 'register' && job.action !== 'transfer') return;
      const domain = await findDomain(tx, scope, job.domainId);
      if (domain) await failDomain(tx, deps.outbox, job, domain, message);
    });
  }

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => {
      inFlight.delete(p);
      wake?.();
    });
  };

  async function claimAndStart(limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const jobs = await db.withTenant(allTenants, (tx) => claimDueDomainJobs(tx, limit, options.leaseMs));
    for (const job of jobs) track(execute(job));
    return jobs.length;
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function runOnce(): Promise<number> {
    const n = await claimAndStart(options.concurrency - inFlight.size);
    await Promise.all([...inFlight]);
    return n;
  }

  return {
    runOnce,
    /** Claims and runs due domain jobs until none is due (tests). */
    async runDue(): Promise<number> {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    async start() {
      if (running) return;
      running = true;
      unlisten = await db.listen(JOBS_CHANNEL, () => wake?.());
      loop = (async () => {
        while (running) {
          let claimed = 0;
          try {
            claimed = await claimAndStart(options.concurrency - inFlight.size);
          } catch (err) {
            log.error({ err }, 'claiming domain jobs failed; will try again');
          }
          if (running && (claimed === 0 || inFlight.size >= options.concurrency)) await pause(options.pollMs);
        }
      })();
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      await unlisten?.();
      await Promise.all([...inFlight]);
    },
  };
}

export type DomainRunner = ReturnType<typeof createDomainRunner>;
