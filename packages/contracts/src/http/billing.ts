import { z } from 'zod';
import { BillingCycle } from '../events/billing';
import { ProductType, ProvisioningModule } from '../events/catalog';
import { Currency, Domain, Id } from '../events/common';
import { PublicQuoteSnapshot } from './catalog';

// --- the answers of billing's HTTP API, as they go on the wire ---
// Money is integer minor units of the currency next to it (a JSON number within the safe integer range),
// never a float or a decimal string. Dates are ISO 8601: timestamps with a time, due dates as YYYY-MM-DD.

const Timestamp = z.iso.datetime();
const DateOnly = z.iso.date();
const Amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

export const OrderStatus = z
  .enum(['pending', 'active', 'cancelled'])
  .describe('pending: its first invoice is unpaid; active: paid; cancelled: withdrawn before payment');
export type OrderStatus = z.infer<typeof OrderStatus>;

export const OrderView = z.object({
  id: Id,
  tenantId: Id,
  clientId: Id,
  status: OrderStatus,
  currency: Currency,
  total: Amount.describe('What the first invoice charges before tax'),
  promotion: z.object({ id: Id, code: z.string().min(1).max(64) }).nullable(),
  invoiceId: Id.describe('The first invoice'),
  serviceIds: z.array(Id).describe('The client services created for its products'),
  snapshot: PublicQuoteSnapshot.describe(
    'Catalog’s quote as priced at checkout (later price changes never alter it), as the client saw it: what billing keeps for provisioning and the reseller’s wholesale is not shown',
  ),
  createdAt: Timestamp,
  cancelledAt: Timestamp.nullable(),
});
export type OrderView = z.infer<typeof OrderView>;

export const OrderList = itemsOf(OrderView);
export type OrderList = z.infer<typeof OrderList>;

export const InvoiceStatus = z.enum(['draft', 'unpaid', 'partially_paid', 'paid', 'cancelled', 'refunded']);
export type InvoiceStatus = z.infer<typeof InvoiceStatus>;

export const InvoiceLineView = z.object({
  description: z.string().min(1),
  quantity: z.number().int().min(1),
  unitPrice: Amount,
  setupFee: Amount.describe('All units'),
  discount: Amount,
  amount: Amount.describe('Net: unitPrice × quantity + setupFee − discount'),
  tax: Amount.describe('amount × the invoice’s tax rate, rounded half-up on this line'),
  total: Amount.describe('amount + tax'),
  serviceId: Id.nullable(),
  periodStart: DateOnly.nullable(),
  periodEnd: DateOnly.nullable().describe('Exclusive'),
});
export type InvoiceLineView = z.infer<typeof InvoiceLineView>;

export const InvoiceView = z.object({
  id: Id,
  tenantId: Id,
  clientId: Id,
  orderId: Id.nullable(),
  number: z.string().min(1).max(64).nullable().describe('Gapless per tenant; null for a draft'),
  status: InvoiceStatus,
  currency: Currency,
  subtotal: Amount.describe('Sum of the lines’ net amounts'),
  taxName: z.string(),
  taxRateBps: z.number().int().min(0).max(10_000),
  taxTotal: Amount,
  total: Amount,
  amountPaid: Amount,
  balance: Amount.describe('total − amountPaid'),
  issuedAt: Timestamp,
  dueDate: DateOnly,
  paidAt: Timestamp.nullable(),
  lines: z.array(InvoiceLineView),
  /** What the invoice is for (added in place, optional). */
  reason: z.enum(['order', 'renewal', 'manual', 'change_package', 'wholesale']).optional(),
  /** Why no tax is charged, printed on the invoice: reverse charge, an exempt client (optional). */
  taxNote: z.string().nullable().optional(),
});
export type InvoiceView = z.infer<typeof InvoiceView>;

export const InvoiceList = itemsOf(InvoiceView);
export type InvoiceList = z.infer<typeof InvoiceList>;

export const PaymentMethod = z.enum(['manual', 'bank_transfer', 'credit', 'stripe']);
export type PaymentMethod = z.infer<typeof PaymentMethod>;

export const PaymentView = z.object({
  id: Id,
  invoiceId: Id,
  clientId: Id,
  method: PaymentMethod,
  amount: Amount,
  currency: Currency,
  reference: z.string().nullable(),
  createdAt: Timestamp,
});
export type PaymentView = z.infer<typeof PaymentView>;

/** POST /v1/invoices/:id/payments and /apply-credit: the payment and the invoice after it. */
export const PaymentResult = z.object({ payment: PaymentView, invoice: InvoiceView });
export type PaymentResult = z.infer<typeof PaymentResult>;

export const PaymentList = itemsOf(PaymentView);
export type PaymentList = z.infer<typeof PaymentList>;

export const ClientServiceStatus = z.enum([
  'pending',
  'provisioning',
  'active',
  'provision_failed',
  'suspended',
  'terminated',
  'cancelled',
]);
export type ClientServiceStatus = z.infer<typeof ClientServiceStatus>;

export const ClientServiceView = z.object({
  id: Id,
  tenantId: Id,
  clientId: Id,
  orderId: Id,
  productId: Id.nullable().describe('null for a domain (catalog prices its TLD, not a product)'),
  productName: z.string().min(1),
  productType: ProductType,
  module: ProvisioningModule,
  domain: Domain.nullable(),
  cycle: BillingCycle,
  quantity: z.number().int().min(1),
  currency: Currency,
  recurringAmount: Amount.describe('Price of each renewal before tax (options included, add-ons apart)'),
  addons: z
    .array(
      z.object({
        addonId: Id,
        description: z.string().min(1),
        cycle: BillingCycle,
        quantity: z.number().int().min(1),
        recurringAmount: Amount,
      }),
    )
    .describe('Add-ons bought with the service; each renews with its own cycle'),
  registrationDate: DateOnly,
  nextDueDate: DateOnly.nullable().describe('null for one-time and free cycles'),
  status: ClientServiceStatus,
  username: z.string().nullable(),
  host: z.string().nullable(),
  lastError: z.string().nullable().describe('Why provisioning failed, for staff'),
  domainRegistration: z
    .object({
      action: z.enum(['register', 'transfer']),
      years: z.number().int().min(1).max(10).describe('The term it was ordered for, and renews for'),
      registrar: z.string().nullable(),
      expiresAt: Timestamp.nullable().describe('The registrar’s expiry; the next due date follows it'),
    })
    .nullable()
    .optional()
    .describe('For a domain: what was asked of the registrar and what it answered'),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type ClientServiceView = z.infer<typeof ClientServiceView>;

export const ClientServiceList = itemsOf(ClientServiceView);
export type ClientServiceList = z.infer<typeof ClientServiceList>;

/** GET /v1/clients/:id/credit: the balance per currency, derived from the append-only ledger. */
export const CreditBalanceView = z.object({
  clientId: Id,
  balances: z.array(z.object({ currency: Currency, amount: Amount })),
});
export type CreditBalanceView = z.infer<typeof CreditBalanceView>;

export const BillingSettingsView = z.object({
  tenantId: Id,
  taxName: z.string().max(40),
  taxRateBps: z.number().int().min(0).max(10_000).describe('Basis points: 21% = 2100'),
  invoicePrefix: z.string().max(20),
  invoicePadding: z.number().int().min(1).max(12),
  invoiceYearlyReset: z.boolean().describe('Numbers restart at 1 each year (and carry the year)'),
  invoiceDueDays: z.number().int().min(0).max(365),
  orderExpiryDays: z
    .number()
    .int()
    .min(1)
    .max(365)
    .nullable()
    .describe('Days an unpaid first invoice keeps its order open (then cancelled, promotion released)'),
  // added in place (optional): the tenant's country and the seller block of its invoice PDFs
  taxCountry: z.string().nullable().optional().describe("The tenant's own country (EU reverse charge)"),
  sellerName: z.string().nullable().optional(),
  sellerAddress: z.string().nullable().optional(),
  sellerTaxId: z.string().nullable().optional(),
  brandColor: z.string().nullable().optional(),
  // added in place (optional): whether the tenant's prices include tax
  taxInclusive: z
    .boolean()
    .optional()
    .describe('Prices include tax: tax = price − price/(1+rate), half-up per line; else tax comes on top'),
});
export type BillingSettingsView = z.infer<typeof BillingSettingsView>;

// --- Stripe (each tenant's own account; a reseller never uses the platform's) ---

/** GET/PUT /v1/payment-gateways/stripe: whether the tenant's Stripe account is set, never its secrets. */
export const StripeGatewayView = z.object({
  tenantId: Id,
  provider: z.literal('stripe'),
  configured: z.boolean(),
  publishableKey: z.string().nullable(),
  secretKeyHint: z.string().nullable().describe('The key’s mode and last 4 characters, e.g. sk_test_…4242'),
});
export type StripeGatewayView = z.infer<typeof StripeGatewayView>;

/** POST /v1/invoices/:id/stripe-payment-intent: what the browser needs to confirm the card payment. */
export const StripePaymentIntentView = z.object({
  invoiceId: Id,
  paymentIntentId: z.string().min(1),
  clientSecret: z.string().min(1),
  status: z.string().min(1),
  amount: Amount,
  currency: Currency,
  publishableKey: z.string().nullable(),
});
export type StripePaymentIntentView = z.infer<typeof StripePaymentIntentView>;

/** POST /v1/callbacks/payments/stripe/:tenantId: the signed event was accepted (applied now or before). */
export const WebhookAck = z.object({ received: z.literal(true), duplicate: z.boolean() });
export type WebhookAck = z.infer<typeof WebhookAck>;

// --- credit notes ---

export const CreditNoteView = z.object({
  id: Id,
  invoiceId: Id,
  clientId: Id,
  number: z.string().min(1).max(64).describe('Gapless per tenant, in its own series'),
  currency: Currency,
  amount: Amount,
  reason: z.string(),
  refundTo: z
    .enum(['credit', 'stripe'])
    .describe('Where the money goes back: the client’s account credit, or the card it was paid with'),
  refund: z
    .object({ status: z.enum(['pending', 'succeeded', 'failed']), refundId: z.string().nullable() })
    .nullable()
    .describe(
      'The card refund (refundTo stripe): requested after the credit note, retried until Stripe answers',
    ),
  createdAt: Timestamp,
});
export type CreditNoteView = z.infer<typeof CreditNoteView>;

export const CreditNoteList = itemsOf(CreditNoteView);
export type CreditNoteList = z.infer<typeof CreditNoteList>;

/** POST /v1/invoices/:id/credit-notes: the credit note and the invoice after it. */
export const CreditNoteResult = z.object({ creditNote: CreditNoteView, invoice: InvoiceView });
export type CreditNoteResult = z.infer<typeof CreditNoteResult>;
