import {
  type DomainPriceView,
  type PriceView,
  type PromotionView,
  type ResellableProductView,
} from '@geminis/contracts';
import { type DomainPrice } from '../store/domain-prices.store';
import { type OwnedPrice } from '../store/prices.store';
import { type Product } from '../store/products.store';
import { toJsonMinor } from '../domain/money';
import { type Promotion } from '../domain/promotion';

/** The answers' shapes are the contract's (@geminis/contracts, http/catalog.ts). */
export const priceView = (p: OwnedPrice): PriceView => ({
  currency: p.currency,
  cycle: p.cycle,
  price: toJsonMinor(p.price),
  setupFee: toJsonMinor(p.setupFee),
});

export const domainPriceView = (p: DomainPrice & { tenantId: string }): DomainPriceView => ({
  tenantId: p.tenantId,
  tld: p.tld,
  currency: p.currency,
  years: p.years,
  register: toJsonMinor(p.register),
  renew: toJsonMinor(p.renew),
  transfer: toJsonMinor(p.transfer),
});

/** A platform product offered to resellers: what it is, not how the platform provisions it. */
export const resellableProductView = (p: Product): ResellableProductView => ({
  id: p.id,
  name: p.name,
  description: p.description,
  type: p.type,
  module: p.module,
});

export const promotionView = (p: Promotion): PromotionView => ({
  ...p,
  discount:
    p.discount.kind === 'percent'
      ? p.discount
      : {
          kind: 'fixed' as const,
          amounts: Object.fromEntries(
            Object.entries(p.discount.amounts).map(([c, a]) => [c, toJsonMinor(a)]),
          ),
        },
  startsAt: p.startsAt?.toISOString() ?? null,
  endsAt: p.endsAt?.toISOString() ?? null,
});
