import { newId, type TenantScope, type Tx } from '@geminis/service-kit';
import { addPaid, findInvoice, type Invoice } from '../store/invoices.store';
import { insertCreditEntry, insertPayment, type Payment, type PaymentMethod } from '../store/payments.store';
import { amountOverBalance, invoiceNotFound, invoiceNotPayable } from './errors';
import { type Settlement } from './settlement.service';

/** Who records payments that no person made (Stripe's confirmations). */
export const SYSTEM_ACTOR = '00000000-0000-7000-8000-000000000000';

export interface PaymentToApply {
  amount: bigint;
  method: PaymentMethod;
  reference: string | null;
  by: string;
}

/**
 * One payment on an invoice, in the caller's transaction: the invoice is locked and read (one statement;
 * one the scope does not see is a 404), must be payable and owe at least the amount; the payment is appended (and for credit, the ledger entry that spends it); the
 * invoice's paid amount and status move; once paid in full, what follows is settled in the same
 * transaction (events through the outbox).
 */
export async function applyPayment(
  tx: Tx,
  scope: TenantScope,
  settlement: Settlement,
  invoiceId: string,
  p: PaymentToApply,
  /** A client viewer's own invoices only (the caller checked nothing else): 404 for any other. */
  clientId?: string,
): Promise<{ payment: Payment; invoice: Invoice }> {
  const invoice = await findInvoice(tx, scope, invoiceId, clientId, true);
  if (!invoice) throw invoiceNotFound();
  if (invoice.status !== 'unpaid' && invoice.status !== 'partially_paid')
    throw invoiceNotPayable(invoice.status);
  const balance = invoice.total - invoice.amountPaid;
  if (p.amount > balance) throw amountOverBalance(balance);
  const id = newId();
  const payment = await insertPayment(tx, scope, {
    id,
    invoiceId,
    clientId: invoice.clientId,
    method: p.method,
    amount: p.amount,
    currency: invoice.currency,
    reference: p.reference,
    recordedBy: p.by,
  });
  if (p.method === 'credit')
    await insertCreditEntry(tx, scope, {
      id: newId(),
      clientId: invoice.clientId,
      currency: invoice.currency,
      amount: -p.amount,
      kind: 'applied',
      invoiceId,
      paymentId: id,
      description: `applied to invoice ${invoice.number ?? invoice.id}`,
      createdBy: p.by,
    });
  // The invoice as it is now: the locked row read above with what the payment changed.
  const after: Invoice = { ...invoice, ...(await addPaid(tx, scope, invoiceId, p.amount)) };
  const received = await settlement.paymentReceived(tx, payment, after);
  if (after.status === 'paid') await settlement.invoicePaid(tx, scope, after, after.paidAt!, received.id);
  return { payment, invoice: after };
}
