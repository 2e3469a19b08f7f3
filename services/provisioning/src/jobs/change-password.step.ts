import { tenantScope } from '@geminis/service-kit';
import { z } from 'zod';
import { findAccountOfService, setAccountPassword } from '../store/accounts.store';
import { type Job } from '../store/jobs.store';
import { JobFailure, type Completion, type JobDeps } from './job-context';
import { panelOfServer } from './panel-of-account';

/** What a change_password job carries: the new password, sealed (never in clear in a row, event or log). */
export const ChangePasswordRequest = z.object({ serviceId: z.uuid(), sealedPassword: z.string().min(1) });

/**
 * Gives the account of a client service the new password its job carries (WHM `passwd`, Plesk customer
 * `set` gen_info passwd, DirectAdmin `CMD_API_USER_PASSWD`), then keeps it sealed on the account in the
 * job's commit — so the credentials the client reads are the panel's. Safe to repeat: setting the same
 * password again (an attempt after a timeout) changes nothing more.
 */
export async function changePasswordStep(deps: JobDeps, job: Job): Promise<Completion> {
  const req = ChangePasswordRequest.parse(job.request);
  const scope = tenantScope(job.tenantId);
  const account = await deps.db.withTenant(scope, (tx) => findAccountOfService(tx, scope, req.serviceId));
  if (!account || account.status === 'pending')
    throw new JobFailure('this service has no account on its panel yet', true);
  if (account.status === 'terminated')
    throw new JobFailure('the account of this service was terminated', false);
  if (account.module === 'none' || !account.username)
    throw new JobFailure('this service has no panel account', false);
  const { panel } = await panelOfServer(deps, account.serverId);
  await panel.changePassword(
    { username: account.username, domain: account.domain },
    deps.cipher.open('account-passwords', req.sealedPassword),
  );
  return async (tx) => {
    await setAccountPassword(tx, scope, account.id, req.sealedPassword);
  };
}
