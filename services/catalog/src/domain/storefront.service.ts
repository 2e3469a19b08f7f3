import { tenantScope, type Database } from '@geminis/service-kit';
import { listDomainPrices } from '../store/domain-prices.store';
import { type OwnedPrice } from '../store/prices.store';
import { toJsonMinor } from './money';
import { type SellableCatalogService, type SellableProduct } from './sellable.service';

const priceView = (p: OwnedPrice) => ({
  cycle: p.cycle,
  price: toJsonMinor(p.price),
  setupFee: toJsonMinor(p.setupFee),
});

function productView(s: SellableProduct) {
  return {
    id: s.product.id,
    name: s.product.name,
    description: s.product.description,
    type: s.product.type,
    prices: s.prices.map(priceView),
    options: s.options.map((o) => ({
      id: o.id,
      name: o.name,
      kind: o.kind,
      minQuantity: o.minQuantity,
      maxQuantity: o.maxQuantity,
      choices: o.choices.map((c) => ({
        id: c.id,
        label: c.label,
        prices: s.optionPrices.filter((p) => p.ownerId === c.id).map(priceView),
      })),
    })),
    addons: s.addons.map((a) => ({
      id: a.id,
      name: a.name,
      description: a.description,
      prices: s.addonPrices.filter((p) => p.ownerId === a.id).map(priceView),
    })),
  };
}

/**
 * The public storefront of one tenant (the gateway resolves it from the Host and puts it in the path):
 * visible groups in order, each with the visible products priced in the requested currency. Products with
 * no price in that currency are left out — they cannot be bought in it.
 */
export function createStorefrontService(deps: { db: Database; sellable: SellableCatalogService }) {
  const { db, sellable } = deps;
  return {
    async products(tenantId: string, currency: string) {
      await sellable.assertStorefront(tenantId);
      const catalog = await sellable.load(tenantId, { currency });
      const onSale = catalog.products.filter((p) => p.prices.length > 0);
      const groups: {
        id: string | null;
        name: string;
        description: string;
        products: ReturnType<typeof productView>[];
      }[] = catalog.groups
        .filter((g) => g.visible)
        .map((g) => ({
          id: g.id,
          name: g.name,
          description: g.description,
          products: onSale.filter((p) => p.groupId === g.id).map(productView),
        }));
      const ungrouped = onSale.filter((p) => p.groupId === null).map(productView);
      if (ungrouped.length > 0)
        groups.push({ id: null, name: 'More products', description: '', products: ungrouped });
      return { tenantId, currency, groups: groups.filter((g) => g.products.length > 0) };
    },
    async domains(tenantId: string, currency: string) {
      await sellable.assertStorefront(tenantId);
      const scope = tenantScope(tenantId);
      const prices = await db.readWithTenant(scope, (tx) => listDomainPrices(tx, scope, { currency }));
      return {
        tenantId,
        currency,
        tlds: prices.map((p) => ({
          tld: p.tld,
          years: p.years,
          register: toJsonMinor(p.register),
          renew: toJsonMinor(p.renew),
          transfer: toJsonMinor(p.transfer),
        })),
      };
    },
  };
}

export type StorefrontService = ReturnType<typeof createStorefrontService>;
