import { allTenants } from '@geminis/service-kit';
import { connectionOf } from '../domain/servers.service';
import { type PanelAdapter } from '../modules/panel';
import { type Account } from '../store/accounts.store';
import { readServerOfAccount, type Server } from '../store/servers.store';
import { JobFailure, type JobDeps } from './job-context';

/** The panel of the server an account lives on, with the server's credentials opened for this call. */
export async function panelOfAccount(
  deps: JobDeps,
  account: Account,
): Promise<{ panel: PanelAdapter; server: Server }> {
  if (!account.serverId) throw new JobFailure('the account has no server', false);
  const found = await deps.db.withTenant(allTenants, (tx) => readServerOfAccount(tx, account.serverId!));
  if (!found) throw new JobFailure('the server of this account was removed', false);
  const panel = deps.panels.panelFor(connectionOf(deps.cipher, found.server, found.sealed));
  return { panel, server: found.server };
}
