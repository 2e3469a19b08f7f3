import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { clientIs, iso, tenantIs, writeTenant } from './sql';

export type PaymentMethod = 'manual' | 'bank_transfer' | 'credit' | 'stripe';

export interface Payment {
  id: string;
  invoiceId: string;
  clientId: string;
  method: PaymentMethod;
  amount: Minor;
  currency: string;
  reference: string | null;
  createdAt: string;
}

interface Row {
  id: string;
  invoice_id: string;
  client_id: string;
  method: PaymentMethod;
  amount: string;
  currency: string;
  reference: string | null;
  created_at: Date;
}

const toPayment = (r: Row): Payment => ({
  id: r.id,
  invoiceId: r.invoice_id,
  clientId: r.client_id,
  method: r.method,
  amount: fromDbMinor(r.amount),
  currency: r.currency,
  reference: r.reference,
  createdAt: iso(r.created_at),
});

/** Appends a payment (payments are never updated or deleted: a trigger refuses it). */
export async function insertPayment(
  tx: Tx,
  scope: TenantScope,
  p: Omit<Payment, 'createdAt'> & { recordedBy: string },
): Promise<Payment> {
  const [r] = await rows<Row>(
    tx,
    sql`insert into payments (id, tenant_id, invoice_id, client_id, method, amount, currency, reference, recorded_by)
        values (${p.id}, ${writeTenant(scope)}, ${p.invoiceId}, ${p.clientId}, ${p.method},
                ${p.amount.toString()}::bigint, ${p.currency}, ${p.reference}, ${p.recordedBy})
        returning *`,
  );
  return toPayment(r!);
}

export async function listPayments(
  tx: Tx,
  scope: TenantScope,
  invoiceId: string,
  clientId?: string,
): Promise<Payment[]> {
  const rs = await rows<Row>(
    tx,
    sql`select * from payments where ${tenantIs(scope)} and ${clientIs(clientId)} and invoice_id = ${invoiceId}
        order by id`,
  );
  return rs.map(toPayment);
}

/** Appends a credit movement: positive adds (deposit), negative spends (applied to an invoice). */
export async function insertCreditEntry(
  tx: Tx,
  scope: TenantScope,
  e: {
    id: string;
    clientId: string;
    currency: string;
    amount: Minor;
    kind: 'deposit' | 'applied';
    invoiceId?: string;
    paymentId?: string;
    description: string;
    createdBy: string;
  },
): Promise<void> {
  await tx.execute(sql`
    insert into credit_entries (id, tenant_id, client_id, currency, amount, kind, invoice_id, payment_id, description,
                                created_by)
    values (${e.id}, ${writeTenant(scope)}, ${e.clientId}, ${e.currency}, ${e.amount.toString()}::bigint, ${e.kind},
            ${e.invoiceId ?? null}, ${e.paymentId ?? null}, ${e.description}, ${e.createdBy})`);
}

/** The client's credit per currency: the sum of its ledger entries (never a stored balance). */
export async function creditBalances(
  tx: Tx,
  scope: TenantScope,
  clientId: string,
): Promise<{ currency: string; amount: Minor }[]> {
  const rs = await rows<{ currency: string; amount: string }>(
    tx,
    sql`select currency, sum(amount)::text as amount from credit_entries
        where ${tenantIs(scope)} and client_id = ${clientId} group by currency order by currency`,
  );
  return rs.map((r) => ({ currency: r.currency, amount: fromDbMinor(r.amount) }));
}
