import { tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { tenantReport } from '../store/reports.store';
import { staffTenantOf } from './context';
import { dateOf } from './cycles';
import { invalidField } from './errors';
import { toJsonMinor } from './money';

/**
 * A tenant's billing report for its staff: money collected and credited in a period, MRR and what is
 * outstanding by age, per currency. A reseller sees its own tenant's; an admin the platform's or the one it
 * names. (Reseller margin needs catalog's wholesale price with each resold order line: not reported yet.)
 */
export function createReports(deps: { db: Database; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async summary(auth: AuthContext, q: { from: string; to: string; tenantId?: string | undefined }) {
      if (q.to <= q.from) throw invalidField('request.invalid', 'to', 'must be after from');
      const owner = staffTenantOf(auth, q.tenantId);
      const scope = tenantScope(owner);
      const today = dateOf(now());
      const figures = await db.withTenant(scope, (tx) => tenantReport(tx, scope, { ...q, today }));
      return {
        tenantId: owner,
        from: q.from,
        to: q.to,
        asOf: today,
        currencies: figures.map((f) => ({
          currency: f.currency,
          collected: toJsonMinor(f.collected),
          credited: toJsonMinor(f.credited),
          net: toJsonMinor(f.collected - f.credited),
          mrr: toJsonMinor(f.mrr),
          outstanding: {
            current: toJsonMinor(f.outstanding.current),
            days1to30: toJsonMinor(f.outstanding.d1to30),
            days31to60: toJsonMinor(f.outstanding.d31to60),
            days61to90: toJsonMinor(f.outstanding.d61to90),
            over90: toJsonMinor(f.outstanding.over90),
          },
        })),
      };
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
