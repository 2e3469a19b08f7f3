import { type AccountStatus, type JobStatus } from '@geminis/contracts';
import { ConflictError, newId, tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { findAccount } from '../store/accounts.store';
import { findJob, listJobs, notifyRunners, rearmFailedJob, recordJob } from '../store/jobs.store';
import { readScope } from './context';
import { generatePassword, type Cipher } from './crypto';
import { accountNotFound, jobNotFound } from './errors';
import { type ManualAction } from './inputs';

/** Only a live account can be suspended or unsuspended by hand (not one being created or removed). */
const LIVE: AccountStatus[] = ['active', 'suspended'];

/** Staff's view of the jobs and their hands on them: retry a failed job, suspend or unsuspend by hand. */
export function createJobsService(deps: { db: Database; maxAttempts: number; cipher: Cipher }) {
  const { db } = deps;
  return {
    async list(auth: AuthContext, filter: { status?: JobStatus; serviceId?: string; tenantId?: string }) {
      const scope = readScope(auth, filter.tenantId);
      return db.withTenant(scope, (tx) => listJobs(tx, scope, filter));
    },
    async get(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const job = await db.withTenant(scope, (tx) => findJob(tx, scope, id));
      if (!job) throw jobNotFound();
      return job;
    },
    /** A failed job gets a fresh set of attempts; any other state is a conflict (it runs or ran). */
    async retry(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const job = await findJob(tx, scope, id);
        if (!job) throw jobNotFound();
        const own = tenantScope(job.tenantId);
        const rearmed = await rearmFailedJob(tx, own, id);
        if (!rearmed)
          throw new ConflictError(
            'provisioning.job_not_failed',
            `only a failed job can be retried (it is ${job.status})`,
          );
        await notifyRunners(tx);
        return rearmed;
      });
    },
    /**
     * A new strong panel password for an account (its client, or its tenant's staff): generated here, sealed
     * into a job that gives it to the panel and then to the account. A request while one waits joins it.
     */
    async changePassword(auth: AuthContext, accountId: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const account = await findAccount(tx, scope, accountId);
        if (!account || (auth.role === 'client' && account.clientId !== auth.userId)) throw accountNotFound();
        if (!LIVE.includes(account.status) || account.module === 'none')
          throw new ConflictError(
            'provisioning.account_not_active',
            account.module === 'none'
              ? 'this service has no panel account'
              : `an account that is ${account.status} has no password to change`,
          );
        const id = newId();
        const job = await recordJob(tx, tenantScope(account.tenantId), {
          id,
          serviceId: account.serviceId,
          clientId: account.clientId,
          action: 'change_password',
          request: {
            serviceId: account.serviceId,
            sealedPassword: deps.cipher.seal('account-passwords', generatePassword()),
          },
          eventId: id,
          correlationId: null,
          maxAttempts: deps.maxAttempts,
        });
        await notifyRunners(tx);
        return job;
      });
    },
    /** Suspends or unsuspends an account by hand: a job like billing's, with its result event. */
    async act(auth: AuthContext, accountId: string, input: ManualAction, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const account = await findAccount(tx, scope, accountId);
        if (!account) throw accountNotFound();
        if (!LIVE.includes(account.status))
          throw new ConflictError(
            'provisioning.account_not_active',
            `an account that is ${account.status} cannot be ${input.action}ed`,
          );
        const id = newId();
        const job = await recordJob(tx, tenantScope(account.tenantId), {
          id,
          serviceId: account.serviceId,
          clientId: account.clientId,
          action: input.action,
          request: {
            serviceId: account.serviceId,
            clientId: account.clientId,
            module: account.module,
            reason: input.reason || `${input.action} by ${auth.role}`,
          },
          eventId: id,
          correlationId: null,
          maxAttempts: deps.maxAttempts,
        });
        await notifyRunners(tx);
        return job;
      });
    },
  };
}

export type JobsService = ReturnType<typeof createJobsService>;
