import { allTenants, tenantScope, type Database } from '@geminis/service-kit';
import { listGroups, type ProductGroup } from '../store/groups.store';
import { listOfferings, readResellablePlatformCatalog } from '../store/offerings.store';
import { addonsOf, optionsOf, type Addon, type ConfigOption } from '../store/options.store';
import { pricesOf, type OwnedPrice } from '../store/prices.store';
import { listProducts, type Product } from '../store/products.store';
import { findReseller } from '../store/resellers.store';
import { aliasId } from './alias';
import { isPlatform, PLATFORM_TENANT_ID } from './context';
import { tenantNotFound } from './errors';

/**
 * A product as a tenant sells it: its own retail prices, the owner's options and add-ons. A resold product
 * comes white-labelled: every id in it (product, options, choices, add-ons, the prices' owners) is the
 * reseller's alias of the platform's id, and its name and description are the reseller's if it set them.
 */
export interface SellableProduct {
  product: Product;
  /** Resold: the platform's id of the product (for our own services only); own: null. */
  platformProductId: string | null;
  /** The storefront group (for a resold product: the reseller's group it was put in, or null). */
  groupId: string | null;
  source: 'own' | 'resold';
  prices: OwnedPrice[];
  /** Resold: the platform's wholesale prices of the product (what the reseller owes); own: none. */
  wholesale: OwnedPrice[];
  options: ConfigOption[];
  optionPrices: OwnedPrice[];
  addons: Addon[];
  addonPrices: OwnedPrice[];
}

export interface SellableCatalog {
  tenantId: string;
  groups: ProductGroup[];
  products: SellableProduct[];
}

/**
 * What one tenant sells: its own products priced by itself, plus — for a reseller — the platform products
 * it switched on, priced at its retail prices. Options and add-ons of resold products keep the platform's
 * prices (a reseller cannot reprice them yet).
 */
export function createSellableCatalog(deps: { db: Database }) {
  const { db } = deps;

  /** A storefront exists for the platform and for every active reseller identity told us about. */
  async function assertStorefront(tenantId: string): Promise<void> {
    if (isPlatform(tenantId)) return;
    const scope = tenantScope(tenantId);
    const reseller = await db.withTenant(scope, (tx) => findReseller(tx, scope, tenantId));
    if (!reseller || reseller.status !== 'active') throw tenantNotFound();
  }

  async function load(
    tenantId: string,
    opts: { currency?: string; includeHidden?: boolean } = {},
  ): Promise<SellableCatalog> {
    const scope = tenantScope(tenantId);
    const sellable = (p: Product) =>
      p.visibility === 'visible' || (opts.includeHidden === true && p.visibility === 'hidden');
    const own = await db.withTenant(scope, async (tx) => {
      const groups = await listGroups(tx, scope);
      const products = (await listProducts(tx, scope)).filter(sellable);
      const ids = products.map((p) => p.id);
      const options = await optionsOf(tx, scope, ids);
      const addons = await addonsOf(tx, scope, ids);
      const offerings = isPlatform(tenantId) ? [] : await listOfferings(tx, scope, true);
      return {
        groups,
        products,
        prices: await pricesOf(tx, scope, 'product', ids, opts.currency),
        options,
        optionPrices: await pricesOf(
          tx,
          scope,
          'option',
          options.flatMap((o) => o.choices.map((c) => c.id)),
          opts.currency,
        ),
        addons,
        addonPrices: await pricesOf(
          tx,
          scope,
          'addon',
          addons.map((a) => a.id),
          opts.currency,
        ),
        offerings,
        offeringPrices: await pricesOf(
          tx,
          scope,
          'offering',
          offerings.map((o) => o.productId),
          opts.currency,
        ),
      };
    });
    const products: SellableProduct[] = own.products.map((product) => ({
      product,
      groupId: product.groupId,
      source: 'own',
      platformProductId: null,
      prices: own.prices.filter((p) => p.ownerId === product.id),
      wholesale: [],
      options: own.options.filter((o) => o.productId === product.id),
      optionPrices: own.optionPrices,
      addons: own.addons.filter((a) => a.productId === product.id),
      addonPrices: own.addonPrices,
    }));
    if (own.offerings.length > 0) {
      const platform = await db.withTenant(allTenants, (tx) =>
        readResellablePlatformCatalog(tx, PLATFORM_TENANT_ID, {
          productIds: own.offerings.map((o) => o.productId),
          ...(opts.currency ? { currency: opts.currency } : {}),
        }),
      );
      for (const product of platform.products) {
        const offering = own.offerings.find((o) => o.productId === product.id);
        if (!offering) continue;
        const alias = (id: string) => aliasId(offering.aliasSalt, id);
        // Nothing of the platform's stays in it: prices carry the reseller's tenant and the aliases.
        const aliased = (ps: OwnedPrice[], ownerIds: Set<string>) =>
          ps
            .filter((p) => ownerIds.has(p.ownerId))
            .map((p) => ({ ...p, tenantId, ownerId: alias(p.ownerId) }));
        const id = alias(product.id);
        const options = platform.options.filter((o) => o.productId === product.id);
        const addons = platform.addons.filter((a) => a.productId === product.id);
        products.push({
          product: {
            ...product,
            id,
            tenantId,
            groupId: offering.groupId ?? alias(product.groupId),
            name: offering.name ?? product.name,
            description: offering.description ?? product.description,
          },
          platformProductId: product.id,
          groupId: offering.groupId,
          source: 'resold',
          prices: aliased(own.offeringPrices, new Set([product.id])),
          wholesale: aliased(platform.wholesale, new Set([product.id])),
          options: options.map((o) => ({
            ...o,
            id: alias(o.id),
            productId: id,
            choices: o.choices.map((c) => ({ ...c, id: alias(c.id) })),
          })),
          optionPrices: aliased(
            platform.optionPrices,
            new Set(options.flatMap((o) => o.choices.map((c) => c.id))),
          ),
          addons: addons.map((a) => ({ ...a, id: alias(a.id), productId: id })),
          addonPrices: aliased(platform.addonPrices, new Set(addons.map((a) => a.id))),
        });
      }
    }
    return { tenantId, groups: own.groups, products };
  }

  return { assertStorefront, load };
}

export type SellableCatalogService = ReturnType<typeof createSellableCatalog>;
