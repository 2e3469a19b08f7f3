import {
  ServiceSuspended,
  ServiceSuspendRequested,
  ServiceTerminated,
  ServiceUnsuspended,
  type AccountStatus,
} from '@geminis/contracts';
import { tenantScope } from '@geminis/service-kit';
import { findAccountOfService, setAccountStatus } from '../store/accounts.store';
import { type Job } from '../store/jobs.store';
import { causedBy, JobFailure, type Completion, type JobDeps } from './job-context';
import { panelOfServer } from './panel-of-account';

type LifecycleAction = 'suspend' | 'unsuspend' | 'terminate';

const RESULT: Record<LifecycleAction, { status: AccountStatus; event: string }> = {
  suspend: { status: 'suspended', event: ServiceSuspended.type },
  unsuspend: { status: 'active', event: ServiceUnsuspended.type },
  terminate: { status: 'terminated', event: ServiceTerminated.type },
};

/**
 * Suspends, unsuspends or terminates the account of a client service. The panel's state is read first
 * and the call made only if it is still needed: suspending a suspended account succeeds without a call
 * (and DirectAdmin's suspend, a toggle, is never pressed twice); a retry after a timeout reads before it
 * acts; terminating an account the panel no longer has is done.
 */
export async function lifecycleStep(deps: JobDeps, job: Job, action: LifecycleAction): Promise<Completion> {
  // The three requests share one shape.
  const req = ServiceSuspendRequested.schema.parse(job.request);
  const scope = tenantScope(job.tenantId);
  const result = RESULT[action];
  const account = await deps.db.withTenant(scope, (tx) => findAccountOfService(tx, scope, req.serviceId));

  const complete =
    (module: string): Completion =>
    async (tx) => {
      if (account && account.status !== result.status)
        await setAccountStatus(tx, scope, account.id, result.status);
      await deps.outbox.enqueue(tx, {
        type: result.event,
        tenantId: job.tenantId,
        ...causedBy(job),
        data: { serviceId: req.serviceId, clientId: req.clientId, module },
      });
    };

  if (!account || account.status === 'pending') {
    if (action === 'terminate' && !account) return complete(req.module); // nothing was ever created
    throw new JobFailure('this service has no provisioned account yet', true);
  }
  if (account.status === 'terminated') {
    if (action === 'terminate') return complete(account.module);
    throw new JobFailure('the account of this service was terminated', false);
  }
  if (account.module === 'none') return complete('none');

  const { panel } = await panelOfServer(deps, account.serverId);
  const ref = { username: account.username!, domain: account.domain };
  const found = await panel.lookup(ref);
  switch (action) {
    case 'suspend':
      if (!found) throw new JobFailure('the account is missing on its panel', false);
      if (!found.suspended) await panel.suspend(ref, req.reason);
      break;
    case 'unsuspend':
      if (!found) throw new JobFailure('the account is missing on its panel', false);
      if (found.suspended) await panel.unsuspend(ref);
      break;
    case 'terminate':
      if (found) await panel.terminate(ref);
      break;
  }
  return complete(account.module);
}
