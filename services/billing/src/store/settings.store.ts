import { rows, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export interface BillingSettings {
  taxName: string;
  taxRateBps: number;
  invoicePrefix: string;
  invoicePadding: number;
  invoiceYearlyReset: boolean;
  invoiceDueDays: number;
  /** Days an unpaid first invoice keeps its order open; null: until staff cancel it. */
  orderExpiryDays: number | null;
  /** The tenant's own country (ISO 3166-1 alpha-2): reverse charge applies from it. */
  taxCountry: string | null;
  /** The seller block of its invoices (null: its brand name as billing knows it). */
  sellerName: string | null;
  sellerAddress: string | null;
  sellerTaxId: string | null;
  /** `#rrggbb` of its invoices' band. */
  brandColor: string | null;
  /** Its prices include tax (the tax is taken out of each line's price) rather than come before it. */
  taxInclusive: boolean;
}

export const DEFAULT_SETTINGS: BillingSettings = {
  taxName: 'Tax',
  taxRateBps: 0,
  invoicePrefix: 'INV-',
  invoicePadding: 6,
  invoiceYearlyReset: true,
  invoiceDueDays: 7,
  orderExpiryDays: null,
  taxCountry: null,
  sellerName: null,
  sellerAddress: null,
  sellerTaxId: null,
  brandColor: null,
  taxInclusive: false,
};

type Row = {
  tax_name: string;
  tax_rate_bps: number;
  invoice_prefix: string;
  invoice_padding: number;
  invoice_yearly_reset: boolean;
  invoice_due_days: number;
  order_expiry_days: number | null;
  tax_country: string | null;
  seller_name: string | null;
  seller_address: string | null;
  seller_tax_id: string | null;
  brand_color: string | null;
  tax_inclusive: boolean;
};

/** A tenant's settings, or the defaults when it never set any. */
export async function getSettings(tx: Tx, tenantId: string): Promise<BillingSettings> {
  const [r] = await rows<Row>(tx, sql`select * from billing_settings where tenant_id = ${tenantId}`);
  if (!r) return DEFAULT_SETTINGS;
  return {
    taxName: r.tax_name,
    taxRateBps: r.tax_rate_bps,
    invoicePrefix: r.invoice_prefix,
    invoicePadding: r.invoice_padding,
    invoiceYearlyReset: r.invoice_yearly_reset,
    invoiceDueDays: r.invoice_due_days,
    orderExpiryDays: r.order_expiry_days,
    taxCountry: r.tax_country,
    sellerName: r.seller_name,
    sellerAddress: r.seller_address,
    sellerTaxId: r.seller_tax_id,
    brandColor: r.brand_color,
    taxInclusive: r.tax_inclusive,
  };
}

export async function saveSettings(tx: Tx, tenantId: string, s: BillingSettings): Promise<void> {
  await tx.execute(sql`
    insert into billing_settings (tenant_id, tax_name, tax_rate_bps, invoice_prefix, invoice_padding,
                                  invoice_yearly_reset, invoice_due_days, order_expiry_days, tax_country,
                                  seller_name, seller_address, seller_tax_id, brand_color, tax_inclusive, updated_at)
    values (${tenantId}, ${s.taxName}, ${s.taxRateBps}, ${s.invoicePrefix}, ${s.invoicePadding},
            ${s.invoiceYearlyReset}, ${s.invoiceDueDays}, ${s.orderExpiryDays}, ${s.taxCountry},
            ${s.sellerName}, ${s.sellerAddress}, ${s.sellerTaxId}, ${s.brandColor}, ${s.taxInclusive}, now())
    on conflict (tenant_id) do update set tax_name = excluded.tax_name, tax_rate_bps = excluded.tax_rate_bps,
      invoice_prefix = excluded.invoice_prefix, invoice_padding = excluded.invoice_padding,
      invoice_yearly_reset = excluded.invoice_yearly_reset, invoice_due_days = excluded.invoice_due_days,
      order_expiry_days = excluded.order_expiry_days, tax_country = excluded.tax_country,
      seller_name = excluded.seller_name, seller_address = excluded.seller_address,
      seller_tax_id = excluded.seller_tax_id, brand_color = excluded.brand_color,
      tax_inclusive = excluded.tax_inclusive, updated_at = now()`);
}

/**
 * The next number of a tenant's series for a period, taken in the caller's transaction: the upsert locks
 * the counter row until commit (concurrent issuers queue behind it) and a rollback undoes the increment,
 * so numbers are gapless and unique. Never a sequence (sequences leave gaps).
 */
export async function nextNumber(tx: Tx, tenantId: string, series: string, period: number): Promise<bigint> {
  const [r] = await rows<{ value: string }>(
    tx,
    sql`insert into number_counters (tenant_id, series, period, value) values (${tenantId}, ${series}, ${period}, 1)
        on conflict (tenant_id, series, period) do update set value = number_counters.value + 1
        returning value`,
  );
  return BigInt(r!.value);
}

/** The tenant's renewal and dunning settings (defaults when it never saved any). */
export interface LifecycleSettings {
  /** Days before the due date a renewal invoice is issued. */
  renewalLeadDays: number;
  /** Days overdue before a service is suspended; null: never automatically. */
  suspendAfterDays: number | null;
  /** Days suspended for non-payment before a service is terminated; null: never automatically. */
  terminateAfterDays: number | null;
  /** Added once to a renewal invoice unpaid `afterDays` after its due date; null: none. */
  lateFee: LateFee | null;
  /** Days after the due date a declined automatic charge is tried again (attempt n on the n-th day). */
  autoChargeRetryDays: number[];
  /** Days from the due date a payment reminder is due (negative: before it). */
  reminderDays: number[];
}

export type LateFee =
  | { kind: 'fixed'; amount: number; currency: string; afterDays: number }
  | { kind: 'percent'; bps: number; afterDays: number };

export const DEFAULT_LIFECYCLE: LifecycleSettings = {
  renewalLeadDays: 14,
  suspendAfterDays: 5,
  terminateAfterDays: null,
  lateFee: null,
  autoChargeRetryDays: [1, 3, 5],
  reminderDays: [-3, 1, 7],
};

export async function getLifecycleSettings(tx: Tx, tenantId: string): Promise<LifecycleSettings> {
  const [r] = await rows<{
    renewal_lead_days: number;
    suspend_after_days: number | null;
    terminate_after_days: number | null;
    late_fee_kind: 'fixed' | 'percent' | null;
    late_fee_value: string | null;
    late_fee_currency: string | null;
    late_fee_after_days: number | null;
    auto_charge_retry_days: number[];
    reminder_days: number[];
  }>(
    tx,
    sql`select renewal_lead_days, suspend_after_days, terminate_after_days, late_fee_kind, late_fee_value::text,
               late_fee_currency, late_fee_after_days, auto_charge_retry_days, reminder_days
          from billing_settings where tenant_id = ${tenantId}`,
  );
  if (!r) return DEFAULT_LIFECYCLE;
  const afterDays = r.late_fee_after_days ?? 0;
  const value = Number(r.late_fee_value);
  return {
    renewalLeadDays: r.renewal_lead_days,
    suspendAfterDays: r.suspend_after_days,
    terminateAfterDays: r.terminate_after_days,
    lateFee:
      r.late_fee_kind === 'fixed'
        ? { kind: 'fixed', amount: value, currency: r.late_fee_currency!, afterDays }
        : r.late_fee_kind === 'percent'
          ? { kind: 'percent', bps: value, afterDays }
          : null,
    autoChargeRetryDays: r.auto_charge_retry_days,
    reminderDays: r.reminder_days,
  };
}

export async function saveLifecycleSettings(tx: Tx, tenantId: string, s: LifecycleSettings): Promise<void> {
  const fee = s.lateFee;
  const value = fee === null ? null : fee.kind === 'fixed' ? fee.amount : fee.bps;
  const currency = fee?.kind === 'fixed' ? fee.currency : null;
  await tx.execute(sql`
    insert into billing_settings (tenant_id, renewal_lead_days, suspend_after_days, terminate_after_days, late_fee_kind,
                                  late_fee_value, late_fee_currency, late_fee_after_days, auto_charge_retry_days,
                                  reminder_days, updated_at)
    values (${tenantId}, ${s.renewalLeadDays}, ${s.suspendAfterDays}, ${s.terminateAfterDays}, ${fee?.kind ?? null},
            ${value}, ${currency}, ${fee?.afterDays ?? null}, ${intArray(s.autoChargeRetryDays)},
            ${intArray(s.reminderDays)}, now())
    on conflict (tenant_id) do update set renewal_lead_days = excluded.renewal_lead_days,
      suspend_after_days = excluded.suspend_after_days, terminate_after_days = excluded.terminate_after_days,
      late_fee_kind = excluded.late_fee_kind, late_fee_value = excluded.late_fee_value,
      late_fee_currency = excluded.late_fee_currency, late_fee_after_days = excluded.late_fee_after_days,
      auto_charge_retry_days = excluded.auto_charge_retry_days, reminder_days = excluded.reminder_days,
      updated_at = now()`);
}

/** An integer[] parameter (a JSON array of integers, converted in SQL: no driver array quirks). */
const intArray = (xs: number[]) =>
  sql`array(select jsonb_array_elements_text(${JSON.stringify(xs)}::jsonb)::int)::int[]`;
