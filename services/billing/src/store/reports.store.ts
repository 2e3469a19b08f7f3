import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { tenantIs } from './sql';

/** One currency's figures of a tenant's report (minor units of that currency). */
export interface CurrencyReport {
  currency: string;
  /** Money received in the period by a gateway or by hand (account credit spent is not new money). */
  collected: Minor;
  /** Credit notes issued in the period. */
  credited: Minor;
  /** Recurring revenue of active services (add-ons included), per month; rounded half-up once. */
  mrr: Minor;
  /** What open invoices still owe, by days past their due date on `today`. */
  outstanding: { current: Minor; d1to30: Minor; d31to60: Minor; d61to90: Minor; over90: Minor };
}

const MONTHS = (cycle: string) => sql`(case ${sql.raw(cycle)} when 'monthly' then 1 when 'quarterly' then 3
  when 'semiannually' then 6 when 'annually' then 12 when 'biennially' then 24 when 'triennially' then 36 end)`;

/**
 * A tenant's figures per currency, each an aggregate in SQL over the tenant's rows only (the scope's filter
 * and row-level security): collected and credited in [from, to), MRR now, outstanding aged on `today`.
 */
export async function tenantReport(
  tx: Tx,
  scope: TenantScope,
  p: { from: string; to: string; today: string },
): Promise<CurrencyReport[]> {
  const rs = await rows<{
    currency: string;
    collected: string;
    credited: string;
    mrr: string;
    current: string;
    d1to30: string;
    d31to60: string;
    d61to90: string;
    over90: string;
  }>(
    tx,
    sql`
    with collected as (
      select currency, sum(amount) as v from payments
       where ${tenantIs(scope)} and method <> 'credit'
         and created_at >= ${p.from}::date and created_at < ${p.to}::date
       group by currency
    ),
    credited as (
      select currency, sum(amount) as v from credit_notes
       where ${tenantIs(scope)} and created_at >= ${p.from}::date and created_at < ${p.to}::date
       group by currency
    ),
    recurring as (
      select s.currency, s.recurring_amount::numeric / ${MONTHS('s.cycle')} as monthly
        from client_services s
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.status = 'active' and ${MONTHS('s.cycle')} is not null
      union all
      select s.currency, (a.x ->> 'recurringAmount')::numeric / ${MONTHS("a.x ->> 'cycle'")}
        from client_services s cross join lateral jsonb_array_elements(s.addons) a(x)
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.status = 'active'
         and ${MONTHS("a.x ->> 'cycle'")} is not null
    ),
    mrr as (
      select currency, round(sum(monthly))::bigint as v from recurring group by currency
    ),
    open as (
      select currency, total - amount_paid as owed, ${p.today}::date - due_date as late from invoices
       where ${tenantIs(scope)} and status in ('unpaid', 'partially_paid')
    ),
    aging as (
      select currency,
             sum(owed) filter (where late <= 0) as current,
             sum(owed) filter (where late between 1 and 30) as d1to30,
             sum(owed) filter (where late between 31 and 60) as d31to60,
             sum(owed) filter (where late between 61 and 90) as d61to90,
             sum(owed) filter (where late > 90) as over90
        from open group by currency
    ),
    currencies as (
      select currency from collected union select currency from credited union select currency from mrr
      union select currency from aging
    )
    select c.currency, coalesce(co.v, 0)::text as collected, coalesce(cr.v, 0)::text as credited,
           coalesce(m.v, 0)::text as mrr, coalesce(a.current, 0)::text as current,
           coalesce(a.d1to30, 0)::text as d1to30, coalesce(a.d31to60, 0)::text as d31to60,
           coalesce(a.d61to90, 0)::text as d61to90, coalesce(a.over90, 0)::text as over90
      from currencies c
      left join collected co on co.currency = c.currency
      left join credited cr on cr.currency = c.currency
      left join mrr m on m.currency = c.currency
      left join aging a on a.currency = c.currency
     order by c.currency`,
  );
  return rs.map((r) => ({
    currency: r.currency,
    collected: fromDbMinor(r.collected),
    credited: fromDbMinor(r.credited),
    mrr: fromDbMinor(r.mrr),
    outstanding: {
      current: fromDbMinor(r.current),
      d1to30: fromDbMinor(r.d1to30),
      d31to60: fromDbMinor(r.d31to60),
      d61to90: fromDbMinor(r.d61to90),
      over90: fromDbMinor(r.over90),
    },
  }));
}

/** A reseller's margin in one currency over the periods that started in [from, to). */
export interface MarginReport {
  currency: string;
  /** What its clients were invoiced for those periods of the resold services. */
  retail: Minor;
  /** What the platform billed it for the same periods (wholesale price and setup fees). */
  wholesale: Minor;
}

/**
 * A reseller's margin per currency (retail − wholesale), from the platform's wholesale charges of its resold
 * services (rows of the platform's tenant, the caller's transaction is in it) for the periods that started in
 * [from, to): only that reseller's rows.
 */
export async function resellerMargin(
  tx: Tx,
  resellerId: string,
  p: { from: string; to: string },
): Promise<MarginReport[]> {
  const rs = await rows<{ currency: string; retail: string; wholesale: string }>(
    tx,
    sql`select currency, sum(retail)::text as retail, sum(price + setup_fee)::text as wholesale
          from wholesale_charges
         where tenant_id = ${PLATFORM_TENANT_ID}::uuid and reseller_id = ${resellerId}::uuid
           and period_start >= ${p.from}::date and period_start < ${p.to}::date
         group by currency order by currency`,
  );
  return rs.map((r) => ({
    currency: r.currency,
    retail: fromDbMinor(r.retail),
    wholesale: fromDbMinor(r.wholesale),
  }));
}
