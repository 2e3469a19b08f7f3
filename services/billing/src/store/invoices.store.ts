import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { type LinePlan } from '../domain/order-plan';
import { clientIs, iso, tenantIs, writeTenant } from './sql';

export type InvoiceStatus = 'draft' | 'unpaid' | 'partially_paid' | 'paid' | 'cancelled' | 'refunded';

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitPrice: Minor;
  setupFee: Minor;
  discount: Minor;
  amount: Minor;
  tax: Minor;
  total: Minor;
  serviceId: string | null;
  periodStart: string | null;
  periodEnd: string | null;
}

export interface Invoice {
  id: string;
  tenantId: string;
  clientId: string;
  orderId: string | null;
  reason: 'order' | 'renewal' | 'manual' | 'change_package';
  number: string | null;
  status: InvoiceStatus;
  currency: string;
  subtotal: Minor;
  taxName: string;
  taxRateBps: number;
  taxTotal: Minor;
  total: Minor;
  amountPaid: Minor;
  issuedAt: string;
  dueDate: string;
  paidAt: string | null;
  lines: InvoiceLine[];
  /** Why no tax is charged (reverse charge, an exempt client); null otherwise. */
  taxNote: string | null;
  /** The buyer as it was at issue time. */
  buyer: InvoiceBuyer;
}

/** The buyer's snapshot on an invoice: who it was issued to, and the tax facts it was taxed by. */
export interface InvoiceBuyer {
  name: string;
  email: string;
  country?: string | null;
  region?: string | null;
  vatId?: string | null;
}

type LineJson = Record<keyof InvoiceLine, string | number | null>;
interface Row {
  id: string;
  tenant_id: string;
  client_id: string;
  order_id: string | null;
  reason: Invoice['reason'];
  number: string | null;
  status: InvoiceStatus;
  currency: string;
  subtotal: string;
  tax_name: string;
  tax_rate_bps: number;
  tax_total: string;
  total: string;
  amount_paid: string;
  issued_at: Date;
  due_date: string;
  paid_at: Date | null;
  lines: LineJson[] | null;
  tax_note: string | null;
  buyer: InvoiceBuyer;
}

const SELECT = sql`
  select i.id, i.tenant_id, i.client_id, i.order_id, i.reason, i.number, i.status, i.currency, i.subtotal,
         i.tax_name, i.tax_rate_bps, i.tax_total, i.total, i.amount_paid, i.issued_at, i.due_date::text,
         i.paid_at, i.tax_note, i.buyer,
         (select json_agg(json_build_object(
                   'description', l.description, 'quantity', l.quantity, 'unitPrice', l.unit_price::text,
                   'setupFee', l.setup_fee::text, 'discount', l.discount::text, 'amount', l.amount::text,
                   'tax', l.tax::text, 'total', l.total::text, 'serviceId', l.service_id,
                   'periodStart', l.period_start::text, 'periodEnd', l.period_end::text) order by l.position)
            from invoice_lines l where l.tenant_id = i.tenant_id and l.invoice_id = i.id) as lines
    from invoices i`;

const minor = (v: string | number | null) => fromDbMinor(v ?? 0);
const text = (v: string | number | null) => (v === null ? null : String(v));

function toInvoice(r: Row): Invoice {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    clientId: r.client_id,
    orderId: r.order_id,
    reason: r.reason,
    number: r.number,
    status: r.status,
    currency: r.currency,
    subtotal: fromDbMinor(r.subtotal),
    taxName: r.tax_name,
    taxRateBps: r.tax_rate_bps,
    taxTotal: fromDbMinor(r.tax_total),
    total: fromDbMinor(r.total),
    amountPaid: fromDbMinor(r.amount_paid),
    issuedAt: iso(r.issued_at),
    dueDate: r.due_date,
    paidAt: r.paid_at ? iso(r.paid_at) : null,
    taxNote: r.tax_note,
    buyer: r.buyer,
    lines: (r.lines ?? []).map((l) => ({
      description: String(l.description),
      quantity: Number(l.quantity),
      unitPrice: minor(l.unitPrice),
      setupFee: minor(l.setupFee),
      discount: minor(l.discount),
      amount: minor(l.amount),
      tax: minor(l.tax),
      total: minor(l.total),
      serviceId: text(l.serviceId),
      periodStart: text(l.periodStart),
      periodEnd: text(l.periodEnd),
    })),
  };
}

export interface NewInvoice {
  id: string;
  clientId: string;
  orderId: string | null;
  reason: Invoice['reason'];
  /**
   * The invoice's number; null issues it as a draft, numbered later in the same transaction by
   * `numberInvoice` (so the tenant's counter is locked for as little of the transaction as possible).
   */
  number: string | null;
  currency: string;
  subtotal: Minor;
  taxName: string;
  taxRateBps: number;
  taxTotal: Minor;
  total: Minor;
  buyer: InvoiceBuyer;
  /** Why no tax is charged (reverse charge, exemption); null or absent otherwise. */
  taxNote?: string | null;
  dueDate: string;
  lines: (Omit<LinePlan, 'service'> & { serviceId: string | null })[];
}

/**
 * Issues an invoice with its number and lines (unpaid; a draft when it has no number yet), in the caller's
 * transaction: one statement, the lines inserted as a set.
 */
export async function insertInvoice(tx: Tx, scope: TenantScope, inv: NewInvoice): Promise<void> {
  const tenantId = writeTenant(scope);
  const lines = inv.lines.map((l, i) => ({
    position: i + 1,
    description: l.description,
    quantity: l.quantity,
    unit_price: l.unitPrice.toString(),
    setup_fee: l.setupFee.toString(),
    discount: l.discount.toString(),
    amount: l.amount.toString(),
    tax: l.tax.toString(),
    total: l.total.toString(),
    service_id: l.serviceId,
    period_start: l.periodStart,
    period_end: l.periodEnd,
  }));
  await tx.execute(sql`
    with invoice as (
      insert into invoices (id, tenant_id, client_id, order_id, reason, number, status, currency, subtotal, tax_name,
                            tax_rate_bps, tax_total, total, buyer, due_date, tax_note)
      values (${inv.id}, ${tenantId}, ${inv.clientId}, ${inv.orderId}, ${inv.reason}, ${inv.number},
              ${inv.number === null ? 'draft' : 'unpaid'}, ${inv.currency}, ${inv.subtotal.toString()}::bigint,
              ${inv.taxName}, ${inv.taxRateBps}, ${inv.taxTotal.toString()}::bigint, ${inv.total.toString()}::bigint,
              ${JSON.stringify(inv.buyer)}::jsonb, ${inv.dueDate}::date, ${inv.taxNote ?? null})
      returning tenant_id, id
    )
    insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, unit_price, setup_fee,
                               discount, amount, tax, total, service_id, period_start, period_end)
    select invoice.tenant_id, invoice.id, l.position, l.description, l.quantity, l.unit_price, l.setup_fee,
           l.discount, l.amount, l.tax, l.total, l.service_id, l.period_start, l.period_end
      from invoice, jsonb_to_recordset(${JSON.stringify(lines)}::jsonb) as l(
             position integer, description text, quantity integer, unit_price bigint, setup_fee bigint,
             discount bigint, amount bigint, tax bigint, total bigint, service_id uuid, period_start date,
             period_end date)`);
}

/** How a tenant's invoice numbers look (billing settings): `INV-2026-000123` or `INV-000123`. */
export interface NumberFormat {
  invoicePrefix: string;
  invoicePadding: number;
  invoiceYearlyReset: boolean;
}

/**
 * Numbers a draft issued by `insertInvoice` and makes it unpaid: the tenant's next number of the series
 * (gapless: taken in this transaction) formatted as `formatNumber` does, in one statement. The counter's
 * row stays locked until the transaction ends and every invoice of the tenant waits for it, so this goes
 * as late in the transaction as it can. Returns the number.
 */
export async function numberInvoice(
  tx: Tx,
  scope: TenantScope,
  id: string,
  format: NumberFormat,
  year: number,
): Promise<string> {
  const tenantId = writeTenant(scope);
  const period = format.invoiceYearlyReset ? year : 0;
  const prefix = `${format.invoicePrefix}${format.invoiceYearlyReset ? `${year}-` : ''}`;
  const [r] = await rows<{ number: string }>(
    tx,
    sql`with n as (
          insert into number_counters (tenant_id, series, period, value) values (${tenantId}, 'invoice', ${period}, 1)
          on conflict (tenant_id, series, period) do update set value = number_counters.value + 1
          returning value::text as v
        )
        update invoices set status = 'unpaid',
               number = ${prefix} || case when length(n.v) >= ${format.invoicePadding}::int then n.v
                                          else lpad(n.v, ${format.invoicePadding}::int, '0') end
          from n
         where ${tenantIs(scope)} and id = ${id} and status = 'draft'
        returning number`,
  );
  if (!r) throw new Error(`numberInvoice: invoice ${id} is not a draft of this tenant`);
  return r.number;
}

export async function findInvoice(
  tx: Tx,
  scope: TenantScope,
  id: string,
  clientId?: string,
  lock = false,
): Promise<Invoice | null> {
  // Locked and read in one statement (the lines' subquery is not locked; they change only under this lock).
  const [r] = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`i.tenant_id`)} and ${clientIs(clientId, sql`i.client_id`)}
        and i.id = ${id} ${lock ? sql`for update of i` : sql``}`,
  );
  return r ? toInvoice(r) : null;
}

export async function listInvoices(tx: Tx, scope: TenantScope, clientId?: string): Promise<Invoice[]> {
  const rs = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`i.tenant_id`)} and ${clientIs(clientId, sql`i.client_id`)}
        order by i.id desc limit 500`,
  );
  return rs.map(toInvoice);
}

/**
 * Adds a payment to a locked invoice: partially paid, or paid once nothing is left. Returns what changed
 * (status, amount paid, paid at), so the caller need not read the invoice again.
 */
export async function addPaid(
  tx: Tx,
  scope: TenantScope,
  id: string,
  amount: Minor,
): Promise<{ status: InvoiceStatus; amountPaid: Minor; paidAt: string | null }> {
  const [r] = await rows<{ status: InvoiceStatus; amount_paid: string; paid_at: Date | null }>(
    tx,
    sql`update invoices set amount_paid = amount_paid + ${amount.toString()}::bigint,
          status = case when amount_paid + ${amount.toString()}::bigint = total then 'paid' else 'partially_paid' end,
          paid_at = case when amount_paid + ${amount.toString()}::bigint = total then now() else null end
        where ${tenantIs(scope)} and id = ${id} and status in ('unpaid', 'partially_paid')
        returning status, amount_paid, paid_at`,
  );
  if (!r) throw new Error('addPaid: the invoice is not payable (lock it and check its status first)');
  return {
    status: r.status,
    amountPaid: fromDbMinor(r.amount_paid),
    paidAt: r.paid_at ? iso(r.paid_at) : null,
  };
}

/** Cancels an order's unpaid first invoice; false when it has been paid (even in part). */
export async function cancelOrderInvoice(tx: Tx, scope: TenantScope, orderId: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update invoices set status = 'cancelled'
        where ${tenantIs(scope)} and order_id = ${orderId} and reason = 'order' and status = 'unpaid'
        returning id`,
  );
  return r.length > 0;
}

/** An unpaid invoice of nothing is paid at once; false when it was not (it has a total, or is settled). */
export async function settleFree(tx: Tx, scope: TenantScope, id: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update invoices set status = 'paid', paid_at = now()
        where ${tenantIs(scope)} and id = ${id} and status = 'unpaid' and total = 0 returning id`,
  );
  return r.length > 0;
}

/**
 * Staff waive the late fee of an outstanding invoice: its line goes, subtotal and total come down by it
 * (paid in full when what was paid now covers it). Null when the invoice has no late fee to waive.
 */
export async function waiveLateFee(tx: Tx, scope: TenantScope, id: string): Promise<InvoiceStatus | null> {
  const [r] = await rows<{ status: InvoiceStatus }>(
    tx,
    sql`with fee as (
          delete from invoice_lines l using invoices i
           where ${tenantIs(scope, sql`i.tenant_id`)} and i.id = ${id} and l.tenant_id = i.tenant_id
             and l.invoice_id = i.id and l.late_fee and i.status in ('unpaid', 'partially_paid')
             and i.amount_paid <= i.total - l.amount
          returning l.tenant_id, l.invoice_id, l.amount
        )
        update invoices i
           set subtotal = i.subtotal - f.amount, total = i.total - f.amount,
               status = case when i.amount_paid = i.total - f.amount then 'paid' else i.status end,
               paid_at = case when i.amount_paid = i.total - f.amount then now() else i.paid_at end
          from fee f
         where i.tenant_id = f.tenant_id and i.id = f.invoice_id
        returning i.status`,
  );
  return r?.status ?? null;
}
