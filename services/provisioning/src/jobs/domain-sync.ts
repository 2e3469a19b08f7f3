import { allTenants, tenantScope, type Job as ScheduledJob, type KitLogger } from '@geminis/service-kit';
import { connectionById } from '../domain/registrar-accounts.service';
import { isPanelError } from '../modules/panel';
import { dueForDomainSync, findDomain, updateDomain, type DomainDrift } from '../store/domains.store';
import { applyExpiry, type DomainJobDeps } from './domain-steps';

export interface DomainSyncOptions {
  everyMs: number;
  /** Domains compared per registrar account per run. */
  perAccount: number;
}

/**
 * Compares a bounded batch of domains per registrar account with the registrar: a different expiry is
 * taken (the registrar is the truth: a renewal made in its panel, a grace-period change) and announced
 * with `expiry_changed` (billing dates the next renewal from it); a different status or a domain the
 * account no longer holds is recorded as drift for staff. An account that fails is skipped for the run.
 */
export function createDomainSync(deps: DomainJobDeps & { logger: KitLogger; options: DomainSyncOptions }) {
  const log = deps.logger.child({ component: 'domain-sync' });

  async function runBatch(): Promise<{ compared: number; drifted: number }> {
    const targets = await deps.db.withTenant(allTenants, (tx) =>
      dueForDomainSync(tx, deps.options.perAccount),
    );
    const failed = new Set<string>();
    let compared = 0;
    let drifted = 0;
    for (const t of targets) {
      if (!t.accountId || failed.has(t.accountId)) continue;
      try {
        const found = await connectionById(deps.db, deps.cipher, t.accountId);
        if (!found) continue;
        const info = await deps.registrars.adapterFor(found.conn).info(t.domain, t.registrarRef);
        const scope = tenantScope(t.tenantId);
        const drift = await deps.db.withTenant(scope, async (tx): Promise<DomainDrift | null> => {
          const current = await findDomain(tx, scope, t.id);
          if (!current) return null;
          let d: DomainDrift | null = null;
          if (!info) d = 'missing';
          else {
            if (info.expiresAt && (await applyExpiry(tx, deps.outbox, current, info.expiresAt))) d = 'expiry';
            const theirs = info.status === 'expired' ? 'expired' : info.status === 'active' ? 'active' : null;
            if (theirs && theirs !== current.status) {
              d = 'status';
              await updateDomain(tx, scope, t.id, { status: theirs });
            }
          }
          await updateDomain(tx, scope, t.id, { drift: d, syncedAt: new Date().toISOString() });
          return d;
        });
        compared += 1;
        if (drift) drifted += 1;
      } catch (err) {
        failed.add(t.accountId);
        if (!isPanelError(err))
          log.error({ err, accountId: t.accountId }, 'domain sync of an account failed');
        else
          log.warn({ accountId: t.accountId, error: err.message }, 'domain sync skipped a failing account');
      }
    }
    if (compared > 0) log.info({ compared, drifted }, 'domain sync batch done');
    return { compared, drifted };
  }

  const job: ScheduledJob = {
    name: 'provisioning.domain-sync',
    everyMs: deps.options.everyMs,
    period: (now) => String(Math.floor(now.getTime() / deps.options.everyMs)),
    run: async () => {
      await runBatch();
    },
  };
  return { runBatch, job };
}
