import { allTenants } from '@geminis/service-kit';
import { connectionOf } from '../domain/servers.service';
import { type PanelAdapter } from '../modules/panel';
import { readServerOfAccount, type Server } from '../store/servers.store';
import { JobFailure, type JobDeps } from './job-context';

/** The panel of a server accounts live on, with the server's credentials opened for this call. */
export async function panelOfServer(
  deps: JobDeps,
  serverId: string | null,
): Promise<{ panel: PanelAdapter; server: Server }> {
  if (!serverId) throw new JobFailure('the account has no server', false);
  const found = await deps.db.withTenant(allTenants, (tx) => readServerOfAccount(tx, serverId));
  if (!found) throw new JobFailure('the server of this account was removed', false);
  return { panel: panelFromRow(deps, found), server: found.server };
}

/** The panel of a server row already read (its credentials opened for this call). */
export const panelFromRow = (
  deps: Pick<JobDeps, 'cipher' | 'panels'>,
  found: { server: Server; sealed: string },
): PanelAdapter => deps.panels.panelFor(connectionOf(deps.cipher, found.server, found.sealed));
