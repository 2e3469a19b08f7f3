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
    items: z.array(z.object({ productId: Id, cycle: BillingCycle, quantity: z.number().int().min(1) })),
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

export const billingEvents = [
  OrderPlaced,
  InvoiceAutoChargeFailed,
  InvoiceReminderDue,
  InvoiceLateFeeApplied,
] as const;
