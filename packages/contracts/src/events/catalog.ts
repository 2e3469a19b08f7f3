import { z } from 'zod';
import { defineEvent } from '../registry';
import { Id } from './common';

export const ProductType = z.enum([
  'shared_hosting',
  'reseller_hosting',
  'vps',
  'dedicated',
  'domain',
  'ssl',
  'other',
]);
export const ProvisioningModule = z.enum(['cpanel', 'plesk', 'directadmin', 'registrar', 'none']);

export const ProductChanged = defineEvent(
  'catalog.product.changed.v1',
  'A product was created, updated or retired. tenantId = the owner (platform or reseller).',
  z.object({
    productId: Id,
    change: z.enum(['created', 'updated', 'retired']),
    type: ProductType,
    module: ProvisioningModule,
    visibility: z.enum(['visible', 'hidden', 'retired']),
    resellable: z.boolean(),
  }),
);

export const PromotionRedeemed = defineEvent(
  'catalog.promotion.redeemed.v1',
  "A promotion's use was counted for an order.",
  z.object({ promotionId: Id, code: z.string().min(1).max(64), orderId: Id, clientId: Id }),
);

export const catalogEvents = [ProductChanged, PromotionRedeemed] as const;
