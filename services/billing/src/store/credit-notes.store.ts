import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { clientIs, iso, tenantIs, writeTenant } from './sql';

export interface CreditNote {
  id: string;
  tenantId: string;
  invoiceId: string;
  clientId: string;
  number: string;
  currency: string;
  amount: Minor;
  reason: string;
  refundTo: 'credit' | 'stripe';
  createdAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  invoice_id: string;
  client_id: string;
  number: string;
  currency: string;
  amount: string;
  reason: string;
  refund_to: 'credit' | 'stripe';
  created_at: Date;
}

const toNote = (r: Row): CreditNote => ({
  id: r.id,
  tenantId: r.tenant_id,
  invoiceId: r.invoice_id,
  clientId: r.client_id,
  number: r.number,
  currency: r.currency,
  amount: fromDbMinor(r.amount),
  reason: r.reason,
  refundTo: r.refund_to,
  createdAt: iso(r.created_at),
});

export async function insertCreditNote(
  tx: Tx,
  scope: TenantScope,
  n: Omit<CreditNote, 'createdAt' | 'tenantId'> & { createdBy: string },
): Promise<CreditNote> {
  const [r] = await rows<Row>(
    tx,
    sql`insert into credit_notes (id, tenant_id, invoice_id, client_id, number, currency, amount, reason, refund_to,
                                  created_by)
        values (${n.id}, ${writeTenant(scope)}, ${n.invoiceId}, ${n.clientId}, ${n.number}, ${n.currency},
                ${n.amount.toString()}::bigint, ${n.reason}, ${n.refundTo}, ${n.createdBy})
        returning *`,
  );
  return toNote(r!);
}

export async function listCreditNotes(
  tx: Tx,
  scope: TenantScope,
  invoiceId: string,
  clientId?: string,
): Promise<CreditNote[]> {
  const rs = await rows<Row>(
    tx,
    sql`select * from credit_notes where ${tenantIs(scope)} and ${clientIs(clientId)} and invoice_id = ${invoiceId}
        order by id`,
  );
  return rs.map(toNote);
}

/** What has been credited on an invoice so far. */
export async function creditedOn(tx: Tx, scope: TenantScope, invoiceId: string): Promise<Minor> {
  const [r] = await rows<{ total: string }>(
    tx,
    sql`select coalesce(sum(amount), 0)::text as total from credit_notes
        where ${tenantIs(scope)} and invoice_id = ${invoiceId}`,
  );
  return fromDbMinor(r!.total);
}

/** A paid invoice credited in full is 'refunded'. */
export async function markRefunded(tx: Tx, scope: TenantScope, invoiceId: string): Promise<void> {
  await tx.execute(
    sql`update invoices set status = 'refunded' where ${tenantIs(scope)} and id = ${invoiceId} and status = 'paid'`,
  );
}
