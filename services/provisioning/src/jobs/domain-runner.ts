import { tenantScope, type KitLogger } from '@geminis/service-kit';
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
import { failDomain, runDomainStep, type DomainJobDeps } from './domain-steps';
import { createClaimLoop } from './claim-loop';
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

  return createClaimLoop({
    db,
    log,
    what: 'domain jobs',
    concurrency: options.concurrency,
    pollMs: options.pollMs,
    claim: (tx, limit) => claimDueDomainJobs(tx, limit, options.leaseMs),
    execute,
  });
}

export type DomainRunner = ReturnType<typeof createDomainRunner>;
