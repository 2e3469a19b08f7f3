import { ServiceProvisionFailed } from '@geminis/contracts';
import { tenantScope, type KitLogger } from '@geminis/service-kit';
import { backoffMs } from '../domain/fill';
import { isPanelError } from '../modules/panel';
import { claimDueJobs, failJob, finishJob, retryJobLater, type Job } from '../store/jobs.store';
import { changePackageStep } from './change-package.step';
import { changePasswordStep } from './change-password.step';
import { createClaimLoop } from './claim-loop';
import { causedBy, JobFailure, type Completion, type JobDeps } from './job-context';
import { lifecycleStep } from './lifecycle.step';
import { provisionStep } from './provision.step';

export interface JobRunnerOptions {
  pollMs: number;
  concurrency: number;
  baseDelayMs: number;
  maxDelayMs: number;
  leaseMs: number;
}

export const DEFAULT_RUNNER_OPTIONS: JobRunnerOptions = {
  pollMs: 1_000,
  concurrency: 4,
  baseDelayMs: 5_000,
  maxDelayMs: 15 * 60_000,
  // Longer than the slowest panel call (createacct: minutes), so a live runner keeps its job.
  leaseMs: 10 * 60_000,
};

const STEPS: Record<Job['action'], (deps: JobDeps, job: Job) => Promise<Completion>> = {
  provision: provisionStep,
  suspend: (deps, job) => lifecycleStep(deps, job, 'suspend'),
  unsuspend: (deps, job) => lifecycleStep(deps, job, 'unsuspend'),
  terminate: (deps, job) => lifecycleStep(deps, job, 'terminate'),
  change_package: changePackageStep,
  change_password: changePasswordStep,
};

class LostClaim extends Error {}

/**
 * Runs due jobs, never inside a request or an event handler. Jobs are claimed with FOR UPDATE SKIP LOCKED
 * under a lease (several replicas share the work; a crashed runner's jobs are taken again when the lease
 * ends). A job's success — its state change and its result event in the outbox — commits in one
 * transaction, fenced by the claim. A panel that is down or timed out is retried with capped exponential
 * backoff and full jitter; a refusal the panel will repeat, or the last attempt, fails the job visibly.
 */
export function createJobRunner(deps: JobDeps & { logger: KitLogger; options?: Partial<JobRunnerOptions> }) {
  const { db, outbox } = deps;
  const given = Object.entries(deps.options ?? {}).filter(([, v]) => v !== undefined);
  const options: JobRunnerOptions = { ...DEFAULT_RUNNER_OPTIONS, ...Object.fromEntries(given) };
  const log = deps.logger.child({ component: 'job-runner' });

  async function execute(job: Job): Promise<void> {
    const scope = tenantScope(job.tenantId);
    const jobLog = log.child({
      jobId: job.id,
      tenantId: job.tenantId,
      action: job.action,
      attempt: job.attempts,
    });
    try {
      const completion = await STEPS[job.action](deps, job);
      await db.withTenant(scope, async (tx) => {
        if (!(await finishJob(tx, scope, job))) throw new LostClaim();
        await completion(tx);
      });
      jobLog.info({ serviceId: job.serviceId }, 'job done');
    } catch (err) {
      if (err instanceof LostClaim) {
        jobLog.warn({}, 'job taken over by another runner; result discarded');
        return;
      }
      await settleFailure(job, err, jobLog).catch((e: unknown) =>
        jobLog.error({ err: e }, 'could not record the failure; the lease will expire and the job run again'),
      );
    }
  }

  async function settleFailure(job: Job, err: unknown, jobLog: KitLogger) {
    const scope = tenantScope(job.tenantId);
    const known = err instanceof JobFailure || isPanelError(err);
    const message = known ? (err as Error).message : 'internal error (see the service log)';
    const permanent = err instanceof JobFailure || (isPanelError(err) && !err.retryable);
    if (!known) jobLog.error({ err }, 'job attempt failed unexpectedly');
    await db.withTenant(scope, async (tx) => {
      if (!permanent && job.attempts < job.maxAttempts) {
        const delay = backoffMs(job.attempts, options.baseDelayMs, options.maxDelayMs);
        await retryJobLater(tx, scope, job, delay, message);
        jobLog.warn({ delayMs: delay, error: message }, 'job attempt failed; will retry');
        return;
      }
      if (!(await failJob(tx, scope, job, message))) return;
      jobLog.warn({ error: message }, 'job failed');
      if (job.action !== 'provision') return;
      const req = job.request as { module: 'cpanel' | 'plesk' | 'directadmin' | 'registrar' | 'none' };
      await outbox.enqueue(tx, {
        type: ServiceProvisionFailed.type,
        tenantId: job.tenantId,
        ...causedBy(job),
        data: {
          serviceId: job.serviceId,
          clientId: job.clientId,
          module: req.module,
          error: message.slice(0, 1000),
          // Whether staff may make it work by retrying later (the panel back, credentials fixed), or not.
          retryable:
            err instanceof JobFailure
              ? err.retryable
              : isPanelError(err)
                ? err.retryable || err.kind === 'auth'
                : true,
        },
      });
    });
  }

  return createClaimLoop({
    db,
    log,
    what: 'jobs',
    concurrency: options.concurrency,
    pollMs: options.pollMs,
    claim: (tx, limit) => claimDueJobs(tx, limit, options.leaseMs),
    execute,
  });
}

export type JobRunner = ReturnType<typeof createJobRunner>;
