import { BillingCycle } from '@geminis/contracts';
import { z } from 'zod';

const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR');
const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'a domain name like example.com');
/** Minor units: a whole, positive, safe JSON number (never a float or a string). */
const PositiveAmount = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** One product of the cart: catalog's quote item, plus the primary domain of a hosting account. */
export const OrderItem = z
  .object({
    productId: z.uuid(),
    cycle: BillingCycle,
    quantity: z.number().int().min(1).max(100).default(1),
    options: z
      .array(
        z
          .object({
            optionId: z.uuid(),
            choiceId: z.uuid().optional(),
            quantity: z.number().int().min(0).max(100_000).optional(),
            enabled: z.boolean().optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    addons: z
      .array(z.object({ addonId: z.uuid(), cycle: BillingCycle.optional() }).strict())
      .max(50)
      .default([]),
    domain: Domain.optional(),
  })
  .strict();
export type OrderItem = z.infer<typeof OrderItem>;

export const OrderInput = z
  .object({
    items: z.array(OrderItem).min(1).max(20),
    promoCode: z.string().trim().min(1).max(64).optional(),
    /** Default: the client's own currency. */
    currency: CurrencyCode.optional(),
    /** Staff ordering for a client of their tenant; a client always orders for itself. */
    clientId: z.uuid().optional(),
    /** Admin only: the reseller tenant of the client (default: the platform). */
    tenantId: z.uuid().optional(),
  })
  .strict();
export type OrderInput = z.infer<typeof OrderInput>;

export const PaymentInput = z
  .object({
    amount: PositiveAmount.describe('Minor units of the invoice currency'),
    method: z.enum(['manual', 'bank_transfer']).default('manual'),
    reference: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type PaymentInput = z.infer<typeof PaymentInput>;

export const ApplyCreditInput = z
  .object({ amount: PositiveAmount.optional().describe('Default: as much as both balances allow') })
  .strict();
export type ApplyCreditInput = z.infer<typeof ApplyCreditInput>;

export const CreditDepositInput = z
  .object({
    amount: PositiveAmount,
    currency: CurrencyCode,
    description: z.string().trim().max(200).default(''),
  })
  .strict();
export type CreditDepositInput = z.infer<typeof CreditDepositInput>;

export const SettingsInput = z
  .object({
    taxName: z.string().trim().min(1).max(40),
    taxRateBps: z.number().int().min(0).max(10_000),
    invoicePrefix: z.string().regex(/^[A-Za-z0-9/_-]{0,20}$/, 'letters, digits, / _ -, at most 20'),
    invoicePadding: z.number().int().min(1).max(12),
    invoiceYearlyReset: z.boolean(),
    invoiceDueDays: z.number().int().min(0).max(365),
    orderExpiryDays: z.number().int().min(1).max(365).nullable(),
  })
  .partial()
  .strict();
export type SettingsInput = z.infer<typeof SettingsInput>;

export const StripeGatewayInput = z
  .object({
    secretKey: z
      .string()
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/, 'a Stripe secret key (sk_test_…, sk_live_…)'),
    webhookSecret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{8,}$/, 'a webhook signing secret (whsec_…)'),
    publishableKey: z
      .string()
      .regex(/^pk_(test|live)_[A-Za-z0-9]{8,}$/, 'a publishable key (pk_test_…)')
      .optional(),
  })
  .strict();
export type StripeGatewayInput = z.infer<typeof StripeGatewayInput>;

export const CreditNoteInput = z
  .object({
    amount: PositiveAmount.optional().describe('Default: everything paid and not yet credited'),
    reason: z.string().trim().min(1).max(500),
    /** credit: the client's account credit; stripe: back to the card it was paid with. */
    refundTo: z.enum(['credit', 'stripe']).default('credit'),
  })
  .strict();
export type CreditNoteInput = z.infer<typeof CreditNoteInput>;

/** A late fee: fixed (minor units of one currency) or a percentage of the invoice (basis points). */
export const LateFeeInput = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('fixed'),
      amount: PositiveAmount.describe('Minor units of `currency`; invoices in another currency get none'),
      currency: CurrencyCode,
      afterDays: z.number().int().min(0).max(365),
    })
    .strict(),
  z
    .object({
      kind: z.literal('percent'),
      bps: z.number().int().min(1).max(10_000).describe('Of the invoice total, rounded half-up'),
      afterDays: z.number().int().min(0).max(365),
    })
    .strict(),
]);

export const LifecycleSettingsInput = z
  .object({
    renewalLeadDays: z.number().int().min(0).max(365),
    suspendAfterDays: z.number().int().min(0).max(365).nullable(),
    terminateAfterDays: z.number().int().min(1).max(3650).nullable(),
    lateFee: LateFeeInput.nullable(),
  })
  .partial()
  .strict();
export type LifecycleSettingsInput = z.infer<typeof LifecycleSettingsInput>;

/** Staff suspend, unsuspend or terminate a client service: the reason is recorded. */
export const ServiceActionInput = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
export type ServiceActionInput = z.infer<typeof ServiceActionInput>;

/** A client (or staff for it) asks to cancel a service: at the end of its period, or now. */
export const CancellationInput = z
  .object({
    when: z.enum(['end_of_period', 'immediate']),
    reason: z.string().trim().min(1).max(500),
  })
  .strict();
export type CancellationInput = z.infer<typeof CancellationInput>;

/** Staff exempt a service from automatic suspension for non-payment, or lift the exemption. */
export const DunningExemptionInput = z
  .object({ exempt: z.boolean(), reason: z.string().trim().min(1).max(500) })
  .strict();
export type DunningExemptionInput = z.infer<typeof DunningExemptionInput>;

/** Staff give a client more time to pay a service's outstanding renewal. */
export const ExtensionInput = z
  .object({ days: z.number().int().min(1).max(90), reason: z.string().trim().min(1).max(500) })
  .strict();
export type ExtensionInput = z.infer<typeof ExtensionInput>;
