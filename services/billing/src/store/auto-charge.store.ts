import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { iso, tenantIs, writeTenant } from './sql';

/** A client's saved Stripe payment method: references at Stripe, and what the client may see of the card. */
export interface SavedPaymentMethod {
  clientId: string;
  provider: 'stripe';
  customerRef: string;
  paymentMethodRef: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  updatedAt: string;
}

interface MethodRow {
  client_id: string;
  customer_ref: string;
  payment_method_ref: string;
  brand: string | null;
  last4: string | null;
  exp_month: number | null;
  exp_year: number | null;
  updated_at: Date;
}

const toMethod = (r: MethodRow): SavedPaymentMethod => ({
  clientId: r.client_id,
  provider: 'stripe',
  customerRef: r.customer_ref,
  paymentMethodRef: r.payment_method_ref,
  brand: r.brand,
  last4: r.last4,
  expMonth: r.exp_month,
  expYear: r.exp_year,
  updatedAt: iso(r.updated_at),
});

export async function savePaymentMethod(
  tx: Tx,
  scope: TenantScope,
  m: Omit<SavedPaymentMethod, 'updatedAt' | 'provider'>,
): Promise<void> {
  await tx.execute(sql`
    insert into client_payment_methods (tenant_id, client_id, provider, customer_ref, payment_method_ref, brand,
                                        last4, exp_month, exp_year)
    values (${writeTenant(scope)}, ${m.clientId}, 'stripe', ${m.customerRef}, ${m.paymentMethodRef}, ${m.brand},
            ${m.last4}, ${m.expMonth}, ${m.expYear})
    on conflict (tenant_id, client_id, provider) do update set customer_ref = excluded.customer_ref,
      payment_method_ref = excluded.payment_method_ref, brand = excluded.brand, last4 = excluded.last4,
      exp_month = excluded.exp_month, exp_year = excluded.exp_year, updated_at = now()`);
}

export async function findPaymentMethod(
  tx: Tx,
  scope: TenantScope,
  clientId: string,
): Promise<SavedPaymentMethod | null> {
  const [r] = await rows<MethodRow>(
    tx,
    sql`select * from client_payment_methods
         where ${tenantIs(scope)} and client_id = ${clientId} and provider = 'stripe'`,
  );
  return r ? toMethod(r) : null;
}

export async function deletePaymentMethod(tx: Tx, scope: TenantScope, clientId: string): Promise<boolean> {
  const r = await rows<{ client_id: string }>(
    tx,
    sql`delete from client_payment_methods where ${tenantIs(scope)} and client_id = ${clientId}
        returning client_id`,
  );
  return r.length > 0;
}

/**
 * Claims, in one statement, the next automatic charge of a bounded batch of open invoices whose client has
 * a saved Stripe payment method in a tenant with Stripe configured: attempt 0 on the due date (while the
 * invoice is still inside its retry window), attempt n on due date + the tenant's n-th retry day, and only
 * after every earlier attempt was declined (or skipped). ON CONFLICT DO NOTHING: an attempt is claimed once, whatever
 * the reruns or replicas. The amount is what the invoice owes now. Returns how many were claimed.
 */
export async function claimAutoCharges(
  tx: Tx,
  scope: TenantScope,
  today: string,
  limit: number,
): Promise<number> {
  const [r] = await rows<{ n: number }>(
    tx,
    sql`
    with cand as (
      select i.tenant_id, i.id, i.due_date, i.currency, i.total - i.amount_paid as owed,
             coalesce(b.auto_charge_retry_days, '{1,3,5}'::int[]) as days,
             coalesce(a.n, 0) as n, coalesce(a.all_declined, true) as all_declined
        from invoices i
        join client_payment_methods m
          on m.tenant_id = i.tenant_id and m.client_id = i.client_id and m.provider = 'stripe'
        join payment_gateways g on g.tenant_id = i.tenant_id and g.provider = 'stripe'
        left join billing_settings b on b.tenant_id = i.tenant_id
        left join lateral (
          -- a skipped attempt (e.g. the invoice was paid in part after it was claimed) lets the schedule go on
          select count(*)::int as n, bool_and(x.status in ('declined', 'skipped')) as all_declined
            from auto_charge_attempts x where x.tenant_id = i.tenant_id and x.invoice_id = i.id
        ) a on true
       where ${tenantIs(scope, sql`i.tenant_id`)} and i.status in ('unpaid', 'partially_paid')
         and i.due_date <= ${today}::date and i.total > i.amount_paid
    ),
    next as (
      select c.*, case when c.n = 0 then c.due_date else c.due_date + c.days[c.n] end as on_day
        from cand c
       where c.all_declined and c.n <= cardinality(c.days)
    ),
    claimed as (
      insert into auto_charge_attempts (tenant_id, invoice_id, attempt, scheduled_on, amount, currency, status)
      select tenant_id, id, n, on_day, owed, currency, 'pending'
        from next
       where on_day <= ${today}::date
         and (n > 0 or due_date + coalesce(days[cardinality(days)], 0) >= ${today}::date)
       order by tenant_id, id
       limit ${limit}
      on conflict do nothing
      returning 1
    )
    select count(*)::int as n from claimed`,
  );
  return r!.n;
}

export interface OpenAttempt {
  tenantId: string;
  invoiceId: string;
  attempt: number;
  amount: Minor;
  currency: string;
}

/** Claimed attempts not yet answered (new, or whose answer was lost), a bounded batch. */
export async function openAttempts(
  tx: Tx,
  scope: TenantScope,
  today: string,
  limit: number,
): Promise<OpenAttempt[]> {
  const rs = await rows<{
    tenant_id: string;
    invoice_id: string;
    attempt: number;
    amount: string;
    currency: string;
  }>(
    tx,
    sql`select tenant_id, invoice_id, attempt, amount::text, currency from auto_charge_attempts
         where ${tenantIs(scope)} and status in ('pending', 'unknown') and scheduled_on <= ${today}::date
         order by scheduled_on, tenant_id, invoice_id limit ${limit}`,
  );
  return rs.map((r) => ({
    tenantId: r.tenant_id,
    invoiceId: r.invoice_id,
    attempt: r.attempt,
    amount: fromDbMinor(r.amount),
    currency: r.currency,
  }));
}

export type AttemptStatus = 'unknown' | 'succeeded' | 'processing' | 'declined' | 'skipped';

/** Records an attempt's answer (only while it is still open: a late duplicate answer changes nothing). */
export async function settleAttempt(
  tx: Tx,
  scope: TenantScope,
  a: { invoiceId: string; attempt: number },
  outcome: {
    status: AttemptStatus;
    paymentIntentRef?: string | null;
    errorCode?: string | null;
    declineCode?: string | null;
    message?: string | null;
  },
): Promise<boolean> {
  const r = await rows<{ attempt: number }>(
    tx,
    sql`update auto_charge_attempts
           set status = ${outcome.status}, payment_intent_ref = coalesce(${outcome.paymentIntentRef ?? null}, payment_intent_ref),
               error_code = ${outcome.errorCode ?? null}, decline_code = ${outcome.declineCode ?? null},
               message = ${outcome.message ?? null}, updated_at = now()
         where ${tenantIs(scope)} and invoice_id = ${a.invoiceId} and attempt = ${a.attempt}
           and status in ('pending', 'unknown')
        returning attempt`,
  );
  return r.length > 0;
}

/** The day of the invoice's next attempt after `attempt`, or null when the schedule is spent. */
export async function nextAttemptOn(
  tx: Tx,
  scope: TenantScope,
  invoiceId: string,
  attempt: number,
): Promise<string | null> {
  const [r] = await rows<{ on_day: string | null }>(
    tx,
    sql`select (i.due_date + (coalesce(b.auto_charge_retry_days, '{1,3,5}'::int[]))[${attempt + 1}])::text as on_day
          from invoices i left join billing_settings b on b.tenant_id = i.tenant_id
         where ${tenantIs(scope, sql`i.tenant_id`)} and i.id = ${invoiceId}`,
  );
  return r?.on_day ?? null;
}

/** The attempts of an invoice, oldest first (staff see why automatic charges failed). */
export async function attemptsOf(tx: Tx, scope: TenantScope, invoiceId: string) {
  return rows<{
    attempt: number;
    scheduled_on: string;
    amount: string;
    currency: string;
    status: AttemptStatus | 'pending';
    payment_intent_ref: string | null;
    error_code: string | null;
    decline_code: string | null;
    message: string | null;
  }>(
    tx,
    sql`select attempt, scheduled_on::text, amount::text, currency, status, payment_intent_ref, error_code,
               decline_code, message
          from auto_charge_attempts where ${tenantIs(scope)} and invoice_id = ${invoiceId} order by attempt`,
  );
}
