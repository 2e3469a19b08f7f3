import { tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { resellerMargin, tenantReport } from '../store/reports.store';
import { PLATFORM_TENANT_ID, staffTenantOf } from './context';
import { dateOf } from './cycles';
import { invalidField } from './errors';
import { toJsonMinor } from './money';

/**
 * A tenant's billing report for its staff: money collected and credited in a period, MRR and what is
 * outstanding by age, per currency; for a reseller also its margin (retail − wholesale) over the periods of
 * its resold services that started in the period. A reseller sees its own tenant's; an admin the
 * platform's or the one it names.
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
      // the platform's charges to this reseller live in the platform's tenant: only this reseller's are read
      const platform = tenantScope(PLATFORM_TENANT_ID);
      const margin =
        owner === PLATFORM_TENANT_ID
          ? null
          : await db.withTenant(platform, (tx) => resellerMargin(tx, owner, q));
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
        margin:
          margin?.map((m) => ({
            currency: m.currency,
            retail: toJsonMinor(m.retail),
            wholesale: toJsonMinor(m.wholesale),
            margin: toJsonMinor(m.retail - m.wholesale),
          })) ?? null,
      };
    },
  };
}

export type Reports = ReturnType<typeof createReports>;
