import {
  allTenants,
  BusinessRuleError,
  ForbiddenError,
  ValidationError,
  type AuthContext,
  type Database,
  type FieldError,
} from '@geminis/service-kit';
import { findGroup } from '../store/groups.store';
import { listOfferings, readResellablePlatformCatalog, upsertOffering } from '../store/offerings.store';
import { pricesOf, replacePrices, type OwnedPrice, type Price } from '../store/prices.store';
import { findReseller } from '../store/resellers.store';
import { isPlatform, PLATFORM_TENANT_ID, readScope } from './context';
import { invalidField, productNotFound } from './errors';
import { type OfferingPatch } from './inputs';
import { aliasId } from './alias';
import { toPrices } from './prices';

/**
 * Retail prices a reseller sets must cover what it pays: for every (currency, cycle) a wholesale price must
 * exist and neither the price nor the setup fee may be below it. Every offending price is named.
 */
export function checkRetailAgainstWholesale(retail: Price[], wholesale: Price[]): FieldError[] {
  const errors: FieldError[] = [];
  retail.forEach((r, i) => {
    const w = wholesale.find((x) => x.currency === r.currency && x.cycle === r.cycle);
    if (!w) {
      errors.push({ field: `prices.${i}.cycle`, message: `not sold wholesale in ${r.currency}/${r.cycle}` });
      return;
    }
    if (r.price < w.price)
      errors.push({
        field: `prices.${i}.price`,
        message: `below the wholesale price (${w.price.toString()})`,
      });
    if (r.setupFee < w.setupFee)
      errors.push({
        field: `prices.${i}.setupFee`,
        message: `below the wholesale setup fee (${w.setupFee.toString()})`,
      });
  });
  return errors;
}

export function createOfferingsService(deps: { db: Database }) {
  const { db } = deps;

  const resellerTenantOf = (auth: AuthContext, tenantId?: string): string => {
    if (auth.role === 'reseller') return auth.tenantId;
    if (!tenantId || isPlatform(tenantId))
      throw invalidField('request.invalid', 'tenantId', 'required: the reseller whose offerings to show');
    return tenantId;
  };

  return {
    /**
     * What a reseller may resell (the platform's resellable products with their wholesale prices) and
     * what it does with each: on/off, its group and its retail prices.
     */
    async list(auth: AuthContext, requestedTenantId?: string) {
      const tenantId = resellerTenantOf(auth, requestedTenantId);
      const scope = readScope(auth, tenantId);
      const platform = await db.withTenant(allTenants, (tx) =>
        readResellablePlatformCatalog(tx, PLATFORM_TENANT_ID),
      );
      return db.withTenant(scope, async (tx) => {
        const offerings = await listOfferings(tx, scope);
        const retail = await pricesOf(
          tx,
          scope,
          'offering',
          platform.products.map((p) => p.id),
        );
        return platform.products.map((product) => {
          const offering = offerings.find((o) => o.productId === product.id);
          const of = (ps: OwnedPrice[]) => ps.filter((p) => p.ownerId === product.id);
          return {
            product,
            // The id its clients see on the storefront, in quotes and orders (null until first offered).
            storefrontId: offering ? aliasId(offering.aliasSalt, product.id) : null,
            name: offering?.name ?? null,
            description: offering?.description ?? null,
            wholesale: of(platform.wholesale),
            enabled: offering?.enabled ?? false,
            groupId: offering?.groupId ?? null,
            retail: of(retail),
          };
        });
      });
    },

    /**
     * A reseller turns a platform product on or off for its storefront, sets its retail prices, and may
     * rename it (null: the platform's name/description again). Fields not sent stay as they are (a new
     * offering is off unless `enabled` says otherwise).
     */
    async set(auth: AuthContext, productId: string, body: OfferingPatch) {
      if (auth.role !== 'reseller')
        throw new ForbiddenError('catalog.resellers_only', 'only a reseller sets its own offerings');
      const scope = readScope(auth) as { kind: 'tenant'; tenantId: string };
      const platform = await db.withTenant(allTenants, (tx) =>
        readResellablePlatformCatalog(tx, PLATFORM_TENANT_ID, { productIds: [productId] }),
      );
      if (platform.products.length === 0) throw productNotFound();
      return db.withTenant(scope, async (tx) => {
        const reseller = await findReseller(tx, scope, scope.tenantId);
        if (reseller?.status === 'suspended')
          throw new ForbiddenError('catalog.reseller_suspended', 'this reseller is suspended');
        const current = (await listOfferings(tx, scope)).find((o) => o.productId === productId);
        const groupId = body.groupId !== undefined ? body.groupId : (current?.groupId ?? null);
        if (groupId && !(await findGroup(tx, scope, groupId)))
          throw invalidField('catalog.invalid_offering', 'groupId', 'no such product group');
        if (body.prices) {
          const retail = toPrices(body.prices);
          const errors = checkRetailAgainstWholesale(retail, platform.wholesale);
          if (errors.length > 0)
            throw new BusinessRuleError(
              'catalog.retail_below_wholesale',
              `retail prices must cover wholesale: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
              { fieldErrors: errors },
            );
          await replacePrices(tx, scope, 'offering', productId, retail);
        }
        const prices = await pricesOf(tx, scope, 'offering', [productId]);
        const enabled = body.enabled ?? current?.enabled ?? false;
        if (enabled && prices.length === 0)
          throw new ValidationError(
            'catalog.invalid_offering',
            'invalid request: prices: an offering on sale needs a retail price',
            {
              fieldErrors: [
                { field: 'prices', message: 'an offering on sale needs at least one retail price' },
              ],
            },
          );
        await upsertOffering(tx, scope, {
          productId,
          enabled,
          groupId,
          ...(body.name !== undefined ? { name: body.name } : {}),
          ...(body.description !== undefined ? { description: body.description } : {}),
        });
        const stored = (await listOfferings(tx, scope)).find((o) => o.productId === productId)!;
        return {
          productId,
          storefrontId: aliasId(stored.aliasSalt, productId),
          enabled,
          groupId,
          name: stored.name,
          description: stored.description,
          retail: prices,
        };
      });
    },
  };
}

export type OfferingsService = ReturnType<typeof createOfferingsService>;
