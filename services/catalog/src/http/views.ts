import { type DomainPrice } from '../store/domain-prices.store';
import { type OwnedPrice } from '../store/prices.store';
import { toJsonMinor } from '../domain/money';
import { type Promotion } from '../domain/promotion';

export const priceView = (p: OwnedPrice) => ({
  currency: p.currency,
  cycle: p.cycle,
  price: toJsonMinor(p.price),
  setupFee: toJsonMinor(p.setupFee),
});

export const domainPriceView = (p: DomainPrice & { tenantId?: string }) => ({
  ...(p.tenantId ? { tenantId: p.tenantId } : {}),
  tld: p.tld,
  currency: p.currency,
  years: p.years,
  register: toJsonMinor(p.register),
  renew: toJsonMinor(p.renew),
  transfer: toJsonMinor(p.transfer),
});

export const promotionView = (p: Promotion) => ({
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
