import { z } from 'zod';
import { defineEvent } from '../registry';
import { Currency, Id, MinorUnits } from './common';

export const BillingCycle = z.enum([
  'monthly',
  'quarterly',
  'semiannually',
  'annually',
  'biennially',
  'triennially',
  'onetime',
  'free',
]);

/** Published by billing (not built yet); catalog consumes it to count promotion redemptions. */
export const OrderPlaced = defineEvent(
  'billing.order.placed.v1',
  'A client placed an order. Amounts in integer minor units of `currency`.',
  z.object({
    orderId: Id,
    clientId: Id,
    currency: Currency,
    total: MinorUnits,
    promotionId: Id.optional(),
    promotionCode: z.string().min(1).max(64).optional(),
    items: z
      .array(z.object({ productId: Id, cycle: BillingCycle, quantity: z.number().int().min(1) }))
      .min(1),
  }),
);

export const billingEvents = [OrderPlaced] as const;
