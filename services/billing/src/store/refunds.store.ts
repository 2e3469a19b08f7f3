import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { iso, tenantIs, writeTenant } from './sql';

export type RefundStatus = 'pending' | 'succeeded' | 'failed';

/** The invoice's card payments (PaymentIntents) with what was already refunded on each, oldest first. */
export async function cardPaymentsOf(tx: Tx, scope: TenantScope, invoiceId: string) {
  const r = await rows<{ reference: string; amount: string; refunded: string }>(
    tx,
    sql`select p.reference, p.amount::text,
               coalesce((select sum(r.amount) from credit_note_refunds r
                          where r.tenant_id = p.tenant_id and r.payment_intent = p.reference), 0)::text as refunded
          from payments p
         where ${tenantIs(scope, sql`p.tenant_id`)} and p.invoice_id = ${invoiceId} and p.method = 'stripe'
         order by p.created_at`,
  );
  return r.map((x) => ({
    paymentIntent: x.reference,
    amount: fromDbMinor(x.amount),
    refunded: fromDbMinor(x.refunded),
  }));
}

export async function insertRefund(
  tx: Tx,
  scope: TenantScope,
  r: { creditNoteId: string; invoiceId: string; paymentIntent: string; amount: Minor; currency: string },
) {
  await tx.execute(sql`
    insert into credit_note_refunds (tenant_id, credit_note_id, invoice_id, payment_intent, amount, currency, status)
    values (${writeTenant(scope)}, ${r.creditNoteId}, ${r.invoiceId}, ${r.paymentIntent},
            ${r.amount.toString()}::bigint, ${r.currency}, 'pending')`);
}

export interface Refund {
  tenantId: string;
  creditNoteId: string;
  paymentIntent: string;
  amount: Minor;
  status: RefundStatus;
  refundId: string | null;
}

type Row = {
  tenant_id: string;
  credit_note_id: string;
  payment_intent: string;
  amount: string;
  status: RefundStatus;
  refund_id: string | null;
};
const toRefund = (r: Row): Refund => ({
  tenantId: r.tenant_id,
  creditNoteId: r.credit_note_id,
  paymentIntent: r.payment_intent,
  amount: fromDbMinor(r.amount),
  status: r.status,
  refundId: r.refund_id,
});

export async function findRefund(tx: Tx, scope: TenantScope, creditNoteId: string): Promise<Refund | null> {
  const [r] = await rows<Row>(
    tx,
    sql`select * from credit_note_refunds where ${tenantIs(scope)} and credit_note_id = ${creditNoteId}`,
  );
  return r ? toRefund(r) : null;
}

/** Refunds still waiting for Stripe's answer (for all tenants: the retry job), oldest first. */
export async function pendingRefunds(tx: Tx, scope: TenantScope, limit = 100): Promise<Refund[]> {
  const rs = await rows<Row>(
    tx,
    sql`select * from credit_note_refunds where ${tenantIs(scope)} and status = 'pending'
        order by updated_at limit ${limit}`,
  );
  return rs.map(toRefund);
}

export async function settleRefund(
  tx: Tx,
  scope: TenantScope,
  creditNoteId: string,
  outcome: { status: RefundStatus; refundId?: string; error?: string },
): Promise<(Refund & { invoiceId: string; clientId: string; currency: string; updatedAt: string }) | null> {
  // Only a pending refund moves: the caller learns whether THIS call settled it (once per refund).
  const [r] = await rows<Row & { invoice_id: string; client_id: string; currency: string; updated_at: Date }>(
    tx,
    sql`update credit_note_refunds r set status = ${outcome.status}, refund_id = coalesce(${outcome.refundId ?? null}, r.refund_id),
           attempts = r.attempts + 1, last_error = ${outcome.error ?? null}, updated_at = now()
          from credit_notes n
         where ${tenantIs(scope, sql`r.tenant_id`)} and r.credit_note_id = ${creditNoteId} and r.status = 'pending'
           and n.tenant_id = r.tenant_id and n.id = r.credit_note_id
     returning r.*, n.client_id`,
  );
  return r
    ? {
        ...toRefund(r),
        invoiceId: r.invoice_id,
        clientId: r.client_id,
        currency: r.currency,
        updatedAt: iso(r.updated_at),
      }
    : null;
}
