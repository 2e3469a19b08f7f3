import { z } from 'zod';
import { defineEvent } from '../registry';
import { Currency, Domain, Id, MinorUnits } from './common';

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
    /** The products ordered; empty for an order of domains only (then `domains` names them). */
    items: z.array(
      z.object({
        productId: Id,
        /**
         * The product's name as the client saw it when ordering (white-label: the reseller's storefront
         * name). Added in place (optional): events from before it name the product by its id only.
         */
        productName: z.string().min(1).max(200).optional(),
        cycle: BillingCycle,
        quantity: z.number().int().min(1),
      }),
    ),
    /** The domains ordered (registrations and transfers-in), when there are any. Added in place (optional). */
    domains: z
      .array(
        z.object({
          domain: Domain,
          action: z.enum(['register', 'transfer']),
          years: z.number().int().min(1).max(10),
        }),
      )
      .optional(),
  }),
);

const DueDate = z.iso.date();

export const InvoiceAutoChargeFailed = defineEvent(
  'billing.invoice.auto_charge_failed.v1',
  'An automatic charge of the client’s saved card was declined; notifications may tell the client.',
  z.object({
    invoiceId: Id,
    number: z.string().min(1).max(64),
    clientId: Id,
    currency: Currency,
    amount: MinorUnits,
    /** 0: the charge on the due date; n: the n-th retry of the tenant's schedule. */
    attempt: z.number().int().min(0).max(10),
    /** Stripe's error code (card_declined, authentication_required, …) and the issuer's decline code. */
    code: z.string().min(1).max(100),
    declineCode: z.string().min(1).max(100).optional(),
    reason: z.string().min(1).max(500),
    /** The day of the next retry; null when the schedule is spent. */
    nextAttemptOn: DueDate.nullable(),
  }),
);

export const InvoiceReminderDue = defineEvent(
  'billing.invoice.reminder_due.v1',
  'A payment reminder of an open invoice is due (a tenant’s reminder day before or after the due date). Once per (invoice, step).',
  z.object({
    invoiceId: Id,
    number: z.string().min(1).max(64),
    clientId: Id,
    currency: Currency,
    balance: MinorUnits,
    dueDate: DueDate,
    /** Days from the due date: negative before it (−3: three days before), positive when overdue. */
    offsetDays: z.number().int().min(-365).max(365),
  }),
);

export const InvoiceLateFeeApplied = defineEvent(
  'billing.invoice.late_fee_applied.v1',
  'A late fee was added to an overdue invoice (once per invoice). Amounts in minor units of `currency`.',
  z.object({
    invoiceId: Id,
    number: z.string().min(1).max(64),
    clientId: Id,
    currency: Currency,
    fee: MinorUnits,
    total: MinorUnits,
    dueDate: DueDate,
  }),
);

const At = z.iso.datetime();
const InvoiceNumber = z.string().min(1).max(64);

export const OrderAccepted = defineEvent(
  'billing.order.accepted.v1',
  'An order was accepted: its first invoice was paid (or cost nothing), the order is active and its services go to provisioning. Once per order.',
  z.object({
    orderId: Id,
    clientId: Id,
    invoiceId: Id,
    currency: Currency,
    total: MinorUnits,
    acceptedAt: At,
  }),
);

export const OrderCancelled = defineEvent(
  'billing.order.cancelled.v1',
  'A pending order was cancelled with its unpaid first invoice (by the client or staff, or expired unpaid); a promotion use it held is released. Once per order.',
  z.object({
    orderId: Id,
    clientId: Id,
    /** `requested`: the client or staff cancelled it; `expired`: its first invoice stayed unpaid too long. */
    reason: z.enum(['requested', 'expired']),
    invoiceId: Id.optional(),
    promotionId: Id.optional(),
    cancelledAt: At,
  }),
);

export const PaymentReceived = defineEvent(
  'billing.payment.received.v1',
  'A payment was applied to an invoice (staff-recorded, bank transfer, Stripe, or account credit). Once per payment; amounts in minor units of `currency`.',
  z.object({
    paymentId: Id,
    invoiceId: Id,
    number: InvoiceNumber,
    clientId: Id,
    currency: Currency,
    amount: MinorUnits,
    method: z.enum(['manual', 'bank_transfer', 'stripe', 'credit']),
    /** The staff reference or the Stripe PaymentIntent id, when there is one. */
    reference: z.string().min(1).max(200).optional(),
    /** What the invoice still owes after this payment (0: paid in full). */
    balance: MinorUnits,
    receivedAt: At,
  }),
);

export const PaymentRefunded = defineEvent(
  'billing.payment.refunded.v1',
  'Money of a paid invoice went back to the client for a credit note: to account credit (with the credit note) or to the card (once Stripe confirms the refund). Once per credit note.',
  z.object({
    creditNoteId: Id,
    invoiceId: Id,
    clientId: Id,
    currency: Currency,
    amount: MinorUnits,
    refundTo: z.enum(['credit', 'stripe']),
    /** Stripe's refund id and the PaymentIntent refunded (refundTo stripe). */
    refundId: z.string().min(1).max(200).optional(),
    paymentIntent: z.string().min(1).max(200).optional(),
    refundedAt: At,
  }),
);

export const CreditNoteIssued = defineEvent(
  'billing.credit_note.issued.v1',
  'A credit note was issued against a paid invoice (its own gapless series). Once per credit note.',
  z.object({
    creditNoteId: Id,
    number: InvoiceNumber,
    invoiceId: Id,
    invoiceNumber: InvoiceNumber,
    clientId: Id,
    currency: Currency,
    amount: MinorUnits,
    reason: z.string().min(1).max(500),
    refundTo: z.enum(['credit', 'stripe']),
  }),
);

export const billingEvents = [
  OrderPlaced,
  OrderAccepted,
  OrderCancelled,
  PaymentReceived,
  PaymentRefunded,
  CreditNoteIssued,
  InvoiceAutoChargeFailed,
  InvoiceReminderDue,
  InvoiceLateFeeApplied,
] as const;
