import { NotFoundError, type AuthContext, type Database } from '@geminis/service-kit';
import { deleteTld, listDomainPrices, replaceTldPrices } from '../store/domain-prices.store';
import { readScope, writeScope } from './context';

export interface TldPriceInput {
  currency: string;
  years: number;
  register: number;
  renew: number;
  transfer: number;
}

/** Domain pricing per tenant, TLD, currency and number of years (register / renew / transfer). */
export function createDomainPricingService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(auth: AuthContext, filter: { tenantId?: string; currency?: string; tld?: string }) {
      const scope = readScope(auth, filter.tenantId);
      return db.readWithTenant(scope, (tx) => listDomainPrices(tx, scope, filter));
    },
    async setTld(auth: AuthContext, tld: string, prices: TldPriceInput[], tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        await replaceTldPrices(
          tx,
          scope,
          tld,
          prices.map((p) => ({
            tld,
            currency: p.currency,
            years: p.years,
            register: BigInt(p.register),
            renew: BigInt(p.renew),
            transfer: BigInt(p.transfer),
          })),
        );
        return listDomainPrices(tx, scope, { tld });
      });
    },
    async deleteTld(auth: AuthContext, tld: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const deleted = await db.withTenant(scope, (tx) => deleteTld(tx, scope, tld));
      if (!deleted) throw new NotFoundError('catalog.tld_not_found', 'no pricing for this TLD');
    },
  };
}

export type DomainPricingService = ReturnType<typeof createDomainPricingService>;
