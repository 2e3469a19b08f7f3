import { allTenants, tenantScope, type Job as ScheduledJob, type KitLogger } from '@geminis/service-kit';
import { isPanelError } from '../modules/panel';
import { dueForSync, recordSync, type Drift, type SyncTarget } from '../store/sync.store';
import { type JobDeps } from './job-context';
import { panelOfServer } from './panel-of-account';

export interface StateSyncOptions {
  everyMs: number;
  /** Accounts compared per server per run. */
  perServer: number;
}

/** How the panel's account differs from ours: state first, then the package (where the panel names one). */
export const driftOf = (
  t: Pick<SyncTarget, 'status' | 'package'>,
  found: { suspended: boolean; package: string | null } | null,
): Drift | null => {
  if (!found) return 'missing_on_panel';
  if (found.suspended && t.status === 'active') return 'suspended_on_panel';
  if (!found.suspended && t.status === 'suspended') return 'active_on_panel';
  if (found.package !== null && t.package !== null && found.package !== t.package)
    return 'other_package_on_panel';
  return null;
};

/**
 * Compares a bounded batch of accounts per server with their panels and records drift (an account
 * suspended on the panel but active here, gone, or on another package or Plesk service plan) for staff.
 * It changes nothing on the panels and nothing of billing's: staff decide. Servers are taken one after another, accounts of one server in turn.
 * A server that fails is skipped (its accounts keep their last comparison) and the run goes on.
 */
export function createStateSync(deps: JobDeps & { logger: KitLogger; options: StateSyncOptions }) {
  const log = deps.logger.child({ component: 'state-sync' });

  async function runBatch(): Promise<{ compared: number; drifted: number }> {
    const targets = await deps.db.withTenant(allTenants, (tx) => dueForSync(tx, deps.options.perServer));
    const failedServers = new Set<string>();
    let compared = 0;
    let drifted = 0;
    for (const t of targets) {
      if (failedServers.has(t.serverId)) continue;
      try {
        const { panel } = await panelOfServer(deps, t.serverId);
        const found = await panel.lookup({ username: t.username, domain: t.domain });
        const drift = driftOf(t, found);
        const scope = tenantScope(t.tenantId);
        await deps.db.withTenant(scope, (tx) => recordSync(tx, scope, t.id, drift));
        compared += 1;
        if (drift) drifted += 1;
      } catch (err) {
        failedServers.add(t.serverId);
        if (!isPanelError(err)) log.error({ err, serverId: t.serverId }, 'state sync of a server failed');
        else log.warn({ serverId: t.serverId, error: err.message }, 'state sync skipped a failing server');
      }
    }
    if (compared > 0) log.info({ compared, drifted }, 'state sync batch done');
    return { compared, drifted };
  }

  const job: ScheduledJob = {
    name: 'provisioning.state-sync',
    everyMs: deps.options.everyMs,
    period: (now) => String(Math.floor(now.getTime() / deps.options.everyMs)),
    run: async () => {
      await runBatch();
    },
  };
  return { runBatch, job };
}
