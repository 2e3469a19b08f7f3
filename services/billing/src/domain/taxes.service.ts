import { BusinessRuleError, tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import {
  findTaxProfile,
  listTaxRules,
  replaceTaxRules,
  saveTaxProfile,
  type TaxProfile,
  type TaxRule,
} from '../store/taxes.store';
import { staffTenantOf } from './context';
import { clientNotFound } from './errors';
import { type TaxProfileInput, type TaxRulesInput } from './inputs';
import { type ViesChecker } from '../upstream/vies.client';

/**
 * Taxes by the client's country: the tenant's rules (a rate per country, or per region of it) and each
 * client's tax profile (country, region, VAT id, exemption), both kept by the tenant's staff. Invoices take
 * their tax from them when issued (billing_tax_for): an issued invoice never changes.
 */
export function createTaxesService(deps: { db: Database; vies?: ViesChecker | null }) {
  const { db, vies } = deps;
  return {
    async rules(auth: AuthContext, tenantId?: string): Promise<{ tenantId: string; rules: TaxRule[] }> {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      return { tenantId: owner, rules: await db.withTenant(scope, (tx) => listTaxRules(tx, scope)) };
    },
    async replaceRules(auth: AuthContext, input: TaxRulesInput, tenantId?: string) {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      const rules = await db.withTenant(scope, async (tx) => {
        await replaceTaxRules(
          tx,
          scope,
          input.rules.map((r) => ({ ...r, region: r.region ?? '' })),
        );
        return listTaxRules(tx, scope);
      });
      return { tenantId: owner, rules };
    },
    async profile(auth: AuthContext, clientId: string, tenantId?: string): Promise<TaxProfile> {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      const p = await db.withTenant(scope, (tx) => findTaxProfile(tx, scope, clientId));
      if (!p) throw clientNotFound();
      return p;
    },
    async saveProfile(
      auth: AuthContext,
      clientId: string,
      input: TaxProfileInput,
      tenantId?: string,
    ): Promise<TaxProfile> {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      // the live VIES check (when configured), before the transaction: VIES saying "not valid" refuses the
      // id; VIES unreachable never blocks the profile (saved with viesChecked false)
      const outcome = input.vatId && vies ? await vies.check(input.vatId) : 'unavailable';
      if (outcome === 'invalid')
        throw new BusinessRuleError('billing.vat_id_not_registered', 'VIES does not know this VAT id', {
          fieldErrors: [{ field: 'vatId', message: 'not a registered VAT id according to VIES' }],
        });
      const profile = { clientId, ...input, viesChecked: outcome === 'valid' };
      const saved = await db.withTenant(scope, (tx) => saveTaxProfile(tx, scope, profile));
      if (!saved) throw clientNotFound();
      return profile;
    },
  };
}

export type TaxesService = ReturnType<typeof createTaxesService>;
