import { allTenants, tenantScope, type Job as ScheduledJob, type KitLogger } from '@geminis/service-kit';
import { isPanelError } from '../modules/panel';
import { dueForUsage, recordUsage } from '../store/usage.store';
import { type JobDeps } from './job-context';
import { panelOfServer } from './panel-of-account';

export interface UsageSyncOptions {
  everyMs: number;
  /** Accounts read per server per run. */
  perServer: number;
}

/**
 * Reads disk and bandwidth of a bounded batch of accounts per server (WHM accountsummary + showbw, Plesk
 * webspace gen_info + stat, DirectAdmin CMD_API_SHOW_USER_USAGE) and stores them. Run by the kit's
 * scheduler, once per period across replicas. A server that fails is skipped for this run (its accounts
 * keep their last reading, and come first next time); a panel without usage is skipped.
 */
export function createUsageSync(deps: JobDeps & { logger: KitLogger; options: UsageSyncOptions }) {
  const log = deps.logger.child({ component: 'usage-sync' });

  async function runBatch(): Promise<{ read: number }> {
    const targets = await deps.db.withTenant(allTenants, (tx) => dueForUsage(tx, deps.options.perServer));
    const skipped = new Set<string>();
    let read = 0;
    for (const t of targets) {
      if (skipped.has(t.serverId)) continue;
      try {
        const { panel } = await panelOfServer(deps, t.serverId);
        if (!panel.usage) {
          skipped.add(t.serverId);
          continue;
        }
        const usage = await panel.usage({ username: t.username, domain: t.domain });
        const scope = tenantScope(t.tenantId);
        await deps.db.withTenant(scope, (tx) => recordUsage(tx, scope, t.id, usage));
        read += 1;
      } catch (err) {
        if (isPanelError(err) && err.kind === 'not_found') continue; // the state sync records it as drift
        skipped.add(t.serverId);
        if (!isPanelError(err)) log.error({ err, serverId: t.serverId }, 'usage sync of a server failed');
        else log.warn({ serverId: t.serverId, error: err.message }, 'usage sync skipped a failing server');
      }
    }
    if (read > 0) log.info({ read }, 'usage sync batch done');
    return { read };
  }

  const job: ScheduledJob = {
    name: 'provisioning.usage-sync',
    everyMs: deps.options.everyMs,
    period: (now) => String(Math.floor(now.getTime() / deps.options.everyMs)),
    run: async () => {
      await runBatch();
    },
  };
  return { runBatch, job };
}
