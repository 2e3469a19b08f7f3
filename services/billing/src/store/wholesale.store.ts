import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { tenantIs } from './sql';

/** A walk over resold services takes up to this many times its batch size to find that many to charge. */
const WALK_FACTOR = 4;

export interface ChargeBatch {
  /** Whether the walk goes on (a full batch charged, or a full walk). */
  more: boolean;
  /** Charges claimed by this batch (a (service, period) already charged is never charged again). */
  charged: number;
  /** Where the next batch of the same run starts (keyset on the service id). */
  last: string | null;
}

/**
 * The wholesale price of a resold service, from the order line catalog priced (the snapshot billing stored):
 * `wholesale: { price, setupFee } | null` (at the line or in its `details`; null: the reseller's own line,
 * nothing to pay the platform). A hosting service's line is the product line of its product and cycle; a
 * domain's, the domain line of its name (the platform's TLD price for the action and the years bought) for its
 * first term, and for each renewal the platform's renewal price for the term the order recorded
 * (`renewal_wholesale`, 0038; a domain ordered before it: the line's price again). `p` is the service's
 * current period (`p.first`: its first). `platform_product_id`: the platform's product the
 * line resells (`platformProductId`; the line's own productId may be the reseller's alias of it). Read in SQL
 * from the row `s` and its order `o`.
 *
 * A service whose package changed is no longer its order line's product: its latest applied change, when
 * billing kept that change's quote line (0035: `line_details`), says instead — the wholesale owed per unit
 * and cycle for the new product (none for the tenant's own product: the service is not charged) and no
 * setup fee (a change of package bills none, to the client or the reseller). A change from before 0035
 * leaves the service to its order line, as before.
 */
const WHOLESALE_LINE = sql`
  left join lateral (
    select ch.line_details, ch.wholesale_price, ch.platform_product_id
      from service_changes ch
     where ch.tenant_id = s.tenant_id and ch.service_id = s.id and ch.status = 'applied'
     order by ch.applied_at desc, ch.id desc
     limit 1) ch on true
  cross join lateral (
    (select ch.wholesale_price as price, 0::bigint as setup_fee, 0::bigint as retail_setup,
            ch.platform_product_id
      where ch.line_details and ch.wholesale_price is not null)
    union all
    (select case when s.product_type = 'domain' and not p.first and s.renewal_wholesale is not null
                 then s.renewal_wholesale else (y.w ->> 'price')::bigint end as price,
            coalesce((y.w ->> 'setupFee')::bigint, 0) as setup_fee,
           coalesce((x ->> 'setupTotal')::bigint, 0) as retail_setup,
           coalesce(x -> 'details' ->> 'platformProductId', x ->> 'platformProductId')::uuid as platform_product_id
      from jsonb_array_elements(o.snapshot -> 'lines') x
      cross join lateral (select coalesce(x -> 'wholesale', x -> 'details' -> 'wholesale') as w) y
     where ch.line_details is not true
       and jsonb_typeof(y.w) = 'object'
       and case when s.product_type = 'domain'
                then x ->> 'kind' = 'domain' and lower(x -> 'details' ->> 'domain') = lower(s.domain)
                else x ->> 'kind' = 'product' and x ->> 'productId' = s.product_id::text
                     and x ->> 'cycle' = s.cycle end
     order by case when s.product_type = 'domain'
                   then (x -> 'details' ->> 'years')::int * 12 = s.term_months
                   else (x ->> 'quantity')::int = s.quantity end desc
     limit 1)) w`;

/**
 * What a change of package's row says on an invoice line: its own description (the products changed) and
 * the days it covers, e.g. "Change of package Starter → Pro, 21 of 31 days from 2026-03-11" (the row `a`).
 */
const CHANGE_TEXT = sql`(a.description || ', ' || a.unused_days || ' of ' || a.period_days || ' days from '
  || a.changed_on)`;

/**
 * The start of the service `s`'s current period, the key of its charge: from its last paid renewal (the one
 * that ends on its next due date), else its registration. It ends on its next due date.
 */
const PERIOD_START = sql`coalesce((select r.period_start from service_renewals r
                                    where r.tenant_id = s.tenant_id and r.service_id = s.id
                                      and r.period_end = s.next_due_date
                                    order by r.period_start desc limit 1), s.registration_date)`;

/** Months of a renewing cycle given as SQL text, null for one that does not renew. */
const months = (cycle: SQL) => sql`(case ${cycle} when 'monthly' then 1 when 'quarterly' then 3
  when 'semiannually' then 6 when 'annually' then 12 when 'biennially' then 24 when 'triennially' then 36 end)`;

/**
 * The wholesale of the service's add-ons (each add-on line of the snapshot carries its own
 * `details.wholesale` when the product is resold), for the service's period as its client's invoice bills
 * them: on the order, one add-on cycle each; on a renewal, as many add-on cycles as fit in the service's term
 * (an add-on whose cycle does not divide the term is not renewed with it, so not charged either).
 */
const ADDON_WHOLESALE = sql`
  cross join lateral (
    select coalesce(sum((a.x ->> 'quantity')::bigint * aw.price
                        * case when p.first then 1 else p.term / am.months end), 0) as price,
           coalesce(sum((a.x ->> 'quantity')::bigint * aw.setup_fee), 0) as setup_fee
      from jsonb_array_elements(s.addons) a(x)
      cross join lateral (select ${months(sql`a.x ->> 'cycle'`)} as months) am
      cross join lateral (
        select (y -> 'details' -> 'wholesale' ->> 'price')::bigint as price,
               coalesce((y -> 'details' -> 'wholesale' ->> 'setupFee')::bigint, 0) as setup_fee
          from jsonb_array_elements(o.snapshot -> 'lines') y
         where y ->> 'kind' = 'addon' and y -> 'details' ->> 'addonId' = a.x ->> 'addonId'
           and jsonb_typeof(y -> 'details' -> 'wholesale') = 'object'
         limit 1) aw
     where am.months is not null and (p.first or p.term % am.months = 0)) aw`;

/**
 * Claims, in ONE statement, the wholesale charges of a bounded batch of resold services (never a row at a
 * time from Node): the next `limit × 4` active services of reseller tenants after `after` (a keyset on the
 * id), those sold on a platform product or resold domains (a wholesale price on their order line), each
 * for its current period — from its last paid renewal (or its registration) to its next due date — once that period has started;
 * the (service, period start) key inserted ON CONFLICT DO NOTHING, so a rerun or a concurrent run charges
 * nothing twice. A service's first period also carries the wholesale setup fee; its add-ons' wholesale is
 * charged with it (ADDON_WHOLESALE). `retail` is what the client was invoiced for that period (the service's
 * and its add-ons' lines on the latest live invoice for it; its recurring amount if none), for the
 * reseller's margin.
 */
export async function chargeBatch(
  tx: Tx,
  scope: TenantScope,
  today: string,
  limit: number,
  after: string | null,
): Promise<ChargeBatch> {
  const from = after ? sql`and s.id > ${after}::uuid` : sql``;
  const [r] = await rows<{ walked: number; charged: number; full: boolean; last: string | null }>(
    tx,
    sql`
    with walk as materialized (
      select s.id from client_services s
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.tenant_id <> ${PLATFORM_TENANT_ID}::uuid
         and s.status = 'active' ${from}
       order by s.id
       limit ${limit * WALK_FACTOR}
    ),
    current as materialized (
      -- the platform's product: the line's platformProductId, else the service's (0032), else its product
      select s.tenant_id, s.id, coalesce(w.platform_product_id, s.platform_product_id, s.product_id) as product_id,
             s.product_name, s.cycle, s.quantity, s.currency, s.recurring_amount, s.registration_date,
             s.next_due_date, p.period_start, p.first,
             w.price * s.quantity + aw.price as price,
             case when p.first then w.setup_fee * s.quantity + aw.setup_fee else 0 end as setup_fee,
             w.retail_setup
        from walk k
        join client_services s on s.id = k.id
        join orders o on o.tenant_id = s.tenant_id and o.id = s.order_id
        cross join lateral (
          select q.period_start, q.period_start = s.registration_date as first,
                 coalesce(s.term_months, ${months(sql`s.cycle`)}) as term
            from (select ${PERIOD_START} as period_start) q
        ) p
        ${WHOLESALE_LINE}
        ${ADDON_WHOLESALE}
       where s.cycle <> 'free'
    ),
    due as materialized (
      select c.*,
             -- the service's lines (and its add-ons') on the latest live invoice for that period
             (select sum(l.amount) from invoice_lines l
               where l.tenant_id = c.tenant_id and l.service_id = c.id and l.period_start = c.period_start
                 and l.invoice_id = (select i.id from invoice_lines l2
                                       join invoices i on i.tenant_id = l2.tenant_id and i.id = l2.invoice_id
                                      where l2.tenant_id = c.tenant_id and l2.service_id = c.id
                                        and l2.period_start = c.period_start
                                        and i.status not in ('draft', 'cancelled')
                                      order by i.issued_at desc limit 1)) as invoiced
        from current c
       where c.period_start <= ${today}::date
         and not exists (select 1 from wholesale_charges x
                          where x.tenant_id = ${PLATFORM_TENANT_ID}::uuid and x.service_id = c.id
                            and x.period_start = c.period_start and x.kind = 'charge')
       order by c.id
       limit ${limit}
    ),
    claimed as (
      insert into wholesale_charges (tenant_id, reseller_id, service_id, product_id, description, cycle,
                                     quantity, period_start, period_end, currency, price, setup_fee, retail)
      select ${PLATFORM_TENANT_ID}::uuid, d.tenant_id, d.id, d.product_id,
             d.product_name || case when d.quantity > 1 then ' × ' || d.quantity else '' end,
             d.cycle, d.quantity, d.period_start, d.next_due_date, d.currency, d.price, d.setup_fee,
             coalesce(d.invoiced, d.recurring_amount + case when d.first then d.retail_setup else 0 end)
        from due d
      on conflict (tenant_id, service_id, period_start, kind) where kind <> 'change' do nothing
      returning id
    )
    -- a full batch of due services stops at its last one (the rest of the walk is walked again)
    select (select count(*) from walk)::int as walked, (select count(*) from claimed)::int as charged,
           (select count(*) from due) = ${limit} as full,
           case when (select count(*) from due) = ${limit} then (select max(id::text) from due)
                else (select max(id::text) from walk) end as last`,
  );
  return { more: r!.full || r!.walked === limit * WALK_FACTOR, charged: r!.charged, last: r!.last };
}

/** The reseller as a client of the platform (its tenant id is its client id there), if billing has none. */
export async function ensureResellerClients(tx: Tx): Promise<void> {
  await tx.execute(sql`
    insert into clients (tenant_id, id, email, name, currency)
    select distinct on (c.reseller_id) ${PLATFORM_TENANT_ID}::uuid, c.reseller_id,
           'reseller-' || c.reseller_id || '@resellers.invalid', 'Reseller ' || c.reseller_id, c.currency
      from wholesale_charges c
     where c.tenant_id = ${PLATFORM_TENANT_ID}::uuid and c.invoice_id is null and c.kind in ('charge', 'change')
     order by c.reseller_id
    on conflict (tenant_id, id) do nothing`);
}

export interface InvoicedBatch {
  /** (reseller, currency) groups taken by this batch. */
  groups: number;
  /** Invoices issued (one per group). */
  issued: number;
  /** Issued invoices of nothing (settled at once by the caller). */
  free: string[];
}

/**
 * Gathers pending charges onto consolidated invoices, in ONE statement in the platform's tenant: up to
 * `limit` (reseller, currency) groups of charges not invoiced yet, one invoice each in the platform's series
 * (its prefix, padding and yearly reset; the counter bumped once by the count, so numbers stay gapless), a
 * line per charge (the wholesale price and, for a first period, the setup fee, less the credits of its
 * period not invoiced yet; the platform's tax half-up per line) and one per upgrade's difference (0040), due
 * after the platform's invoice terms. The caller holds the transaction-level wholesale lock
 * (two runs never gather the same charges); what another run claims meanwhile waits for the next run.
 */
export async function invoiceChargesBatch(tx: Tx, today: string, limit: number): Promise<InvoicedBatch> {
  const year = Number(today.slice(0, 4));
  const P = sql`${PLATFORM_TENANT_ID}::uuid`;
  const [r] = await rows<{ groups: number; issued: number; free: string[] | null }>(
    tx,
    sql`
    with terms as materialized (
      select coalesce(b.tax_name, 'Tax') as tax_name, coalesce(b.tax_rate_bps, 0) as tax_rate_bps,
             coalesce(b.invoice_prefix, 'INV-') as prefix, coalesce(b.invoice_padding, 6) as padding,
             coalesce(b.invoice_yearly_reset, true) as yearly, coalesce(b.invoice_due_days, 7) as due_days,
             coalesce(b.tax_inclusive, false) as inclusive
        from (select 1) one left join billing_settings b on b.tenant_id = ${P}
    ),
    -- what is owed: charges, and the differences of upgrades (0040) whose charge may be invoiced already
    groups as materialized (
      select reseller_id, currency from wholesale_charges
       where tenant_id = ${P} and invoice_id is null and (kind = 'charge' or (kind = 'change' and price > 0))
       group by reseller_id, currency
       order by reseller_id, currency
       limit ${limit}
    ),
    numbered as materialized (
      select g.reseller_id, g.currency, billing_uuidv7() as invoice_id, billing_uuidv7() as event_id,
             row_number() over (order by g.reseller_id, g.currency) as nth, count(*) over () as n
        from groups g
    ),
    bumped as (
      insert into number_counters (tenant_id, series, period, value)
      select ${P}, 'invoice', case when t.yearly then ${year} else 0 end, count(*)
        from numbered cross join terms t group by t.yearly
      on conflict (tenant_id, series, period) do update set value = number_counters.value + excluded.value
      returning value
    ),
    -- a charge's line; a credit for its unused days (its service ended early, 0033) and the credits of changes
    -- of package to a cheaper wholesale (0040) made before the charge was invoiced net on the same line. An
    -- upgrade's difference is a line of its own (below), unless the credits would take the charge's line
    -- below zero (an upgrade, then a cancellation before the period was invoiced: the cancellation credits
    -- the upgraded price); then it nets on the charge's line too, which keeps the whole of the period's
    -- adjustments on one line that never goes negative.
    charged as materialized (
      select n.invoice_id, c.id, c.service_id, c.period_start, c.period_end, c.price, c.setup_fee, c.description,
             coalesce(sum(a.price) filter (where a.kind = 'credit' or a.price < 0), 0)::bigint as less,
             coalesce(sum(a.price) filter (where a.kind = 'change' and a.price > 0), 0)::bigint as more,
             min(a.unused_days) filter (where a.kind = 'credit') as credit_days,
             min(a.ended_on) filter (where a.kind = 'credit') as credit_on,
             string_agg(${CHANGE_TEXT}, '; ' order by a.changed_on, a.id)
               filter (where a.kind = 'change' and a.price < 0) as less_changes,
             string_agg(${CHANGE_TEXT}, '; ' order by a.changed_on, a.id)
               filter (where a.kind = 'change' and a.price > 0) as more_changes,
             array_agg(a.id) filter (where a.kind = 'credit' or a.price < 0) as less_ids,
             array_agg(a.id) filter (where a.kind = 'change' and a.price > 0) as more_ids
        from numbered n
        join wholesale_charges c on c.tenant_id = ${P} and c.reseller_id = n.reseller_id
                                and c.currency = n.currency and c.invoice_id is null and c.kind = 'charge'
        left join wholesale_charges a on a.tenant_id = ${P} and a.service_id = c.service_id
                                     and a.period_start = c.period_start and a.kind <> 'charge'
                                     and a.invoice_id is null
       group by n.invoice_id, c.tenant_id, c.id
    ),
    folded as materialized (
      select h.*, h.price + h.less < 0 as fold from charged h
    ),
    owed as (
      select f.invoice_id, f.period_start, f.service_id, 0 as nth, f.period_start as day,
             array[f.id] || coalesce(f.less_ids, '{}') || case when f.fold then coalesce(f.more_ids, '{}') else '{}' end
               as ids,
             f.description || ' (' || f.period_start || coalesce(' – ' || f.period_end, '') || ')'
               || coalesce(', less ' || f.credit_days || ' unused day' || case when f.credit_days > 1 then 's' else '' end
                           || ' from ' || f.credit_on, '')
               || coalesce(', less ' || f.less_changes, '')
               || case when f.fold then coalesce(', plus ' || f.more_changes, '') else '' end as description,
             -- never below zero: only rounding (half-up per row) could take it there
             greatest(f.price + f.less + case when f.fold then f.more else 0 end, 0) as price,
             f.setup_fee, f.period_end
        from folded f
      union all
      select n.invoice_id, a.period_start, a.service_id, 1, a.changed_on, array[a.id],
             ${CHANGE_TEXT} || ' (' || a.period_start || ' – ' || a.period_end || ')', a.price, 0::bigint,
             a.period_end
        from numbered n
        join wholesale_charges a on a.tenant_id = ${P} and a.reseller_id = n.reseller_id
                                and a.currency = n.currency and a.invoice_id is null and a.kind = 'change'
                                and a.price > 0
       where not exists (select 1 from folded f
                          where f.fold and f.service_id = a.service_id and f.period_start = a.period_start)
    ),
    lines as materialized (
      select o.invoice_id, o.ids,
             row_number() over (partition by o.invoice_id order by o.period_start, o.service_id, o.nth, o.day)
               as position,
             o.description, o.price, o.setup_fee,
             o.price + o.setup_fee - case when t.inclusive then x.tax else 0 end as amount,
             x.tax, case when o.nth = 0 then o.period_start else o.day end as period_start, o.period_end
        from owed o
        cross join terms t
        -- the platform's tax half-up per line: on top of the price, or inside it with inclusive prices (0031)
        cross join lateral (
          select billing_line_tax(o.price + o.setup_fee, t.tax_rate_bps, t.inclusive) as tax
        ) x
    ),
    totals as (
      select invoice_id, sum(amount) as subtotal, sum(tax) as tax_total from lines group by invoice_id
    ),
    issued as materialized (
      select n.*, s.subtotal, s.tax_total, s.subtotal + s.tax_total as total,
             t.prefix || case when t.yearly then ${year} || '-' else '' end
               || case when length(q.seq) >= t.padding then q.seq else lpad(q.seq, t.padding, '0') end as number,
             ${today}::date + t.due_days as due_date, t.tax_name, t.tax_rate_bps
        from numbered n
        join totals s on s.invoice_id = n.invoice_id
        cross join terms t
        cross join lateral (select ((select max(value) from bumped) - n.n + n.nth)::text as seq) q
    ),
    inv as (
      insert into invoices (id, tenant_id, client_id, order_id, reason, number, status, currency, subtotal,
                            tax_name, tax_rate_bps, tax_total, total, buyer, due_date)
      select e.invoice_id, ${P}, e.reseller_id, null, 'wholesale', e.number, 'unpaid', e.currency, e.subtotal,
             e.tax_name, e.tax_rate_bps, e.tax_total, e.total,
             jsonb_build_object('name', c.name, 'email', c.email), e.due_date
        from issued e join clients c on c.tenant_id = ${P} and c.id = e.reseller_id
      returning id
    ),
    lns as (
      insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, unit_price, setup_fee,
                                 discount, amount, tax, total, service_id, period_start, period_end)
      select ${P}, invoice_id, position, description, 1, price, setup_fee, 0, amount, tax, amount + tax, null,
             period_start, period_end
        from lines
      returning invoice_id
    ),
    -- billing.invoice.issued.v1 for each, in the same statement: its closed reason says 'manual', the
    -- optional purpose 'wholesale' (the client is the reseller, a client of the platform's tenant)
    events as (
      insert into outbox (id, tenant_id, type, envelope)
      select e.event_id, ${P}, 'billing.invoice.issued.v1', jsonb_build_object(
               'id', e.event_id, 'type', 'billing.invoice.issued.v1', 'source', 'billing',
               'time', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'tenantId', ${P}, 'correlationId', e.event_id,
               'data', jsonb_build_object(
                 'invoiceId', e.invoice_id, 'number', e.number, 'clientId', e.reseller_id, 'currency', e.currency,
                 'subtotal', e.subtotal, 'tax', e.tax_total, 'total', e.total, 'dueDate', e.due_date::text,
                 'reason', 'manual', 'purpose', 'wholesale'))
        from issued e join inv on inv.id = e.invoice_id
      returning id
    ),
    attached as (
      update wholesale_charges c set invoice_id = l.invoice_id
        from (select invoice_id, unnest(ids) as id from lines) l
       where c.tenant_id = ${P} and c.id = l.id
      returning c.id
    )
    select (select count(*) from groups)::int as groups, (select count(*) from inv)::int as issued,
           (select count(*) from lns)::int as lines, (select count(*) from attached)::int as attached,
           (select count(*) from events)::int as events,
           (select json_agg(invoice_id) from issued where total = 0) as free`,
  );
  return { groups: r!.groups, issued: r!.issued, free: r!.free ?? [] };
}

/**
 * One wholesale charge as its reseller (or the platform's staff) sees it; a credit (kind 'credit': the unused
 * days of a charged period whose service ended early) has a negative price and names its days and how it was
 * settled (its credit note in the platform's series, or null: netted on its charge's invoice line). A change
 * (kind 'change', 0040: the service's package changed within a charged period) has the prorated difference
 * of the two wholesale prices for the period's unused days as its price — positive owed on a line of its own,
 * negative a credit settled like a cancellation's — and names the wholesale per period before and after.
 */
export interface WholesaleCharge {
  kind: 'charge' | 'credit' | 'change';
  serviceId: string;
  /** The platform's product; null for a domain (catalog prices TLDs, not products). */
  productId: string | null;
  description: string;
  cycle: string;
  quantity: number;
  periodStart: string;
  periodEnd: string | null;
  currency: string;
  price: Minor;
  setupFee: Minor;
  retail: Minor;
  credit: { endedOn: string; unusedDays: number; periodDays: number; creditNote: string | null } | null;
  change: {
    changedOn: string;
    unusedDays: number;
    periodDays: number;
    wholesaleFrom: Minor;
    wholesaleTo: Minor;
    creditNote: string | null;
  } | null;
}

interface ChargeRow {
  invoice_id: string;
  kind: 'charge' | 'credit' | 'change';
  service_id: string;
  product_id: string | null;
  description: string;
  cycle: string;
  quantity: number;
  period_start: string;
  period_end: string | null;
  currency: string;
  price: string;
  setup_fee: string;
  retail: string;
  ended_on: string | null;
  unused_days: number | null;
  period_days: number | null;
  credit_note: string | null;
  changed_on: string | null;
  rate_from: string | null;
  rate_to: string | null;
}

const toCharge = (r: ChargeRow): WholesaleCharge => ({
  kind: r.kind,
  serviceId: r.service_id,
  productId: r.product_id,
  description: r.description,
  cycle: r.cycle,
  quantity: r.quantity,
  periodStart: r.period_start,
  periodEnd: r.period_end,
  currency: r.currency,
  price: fromDbMinor(r.price),
  setupFee: fromDbMinor(r.setup_fee),
  retail: fromDbMinor(r.retail),
  credit:
    r.kind === 'credit'
      ? {
          endedOn: r.ended_on!,
          unusedDays: r.unused_days!,
          periodDays: r.period_days!,
          creditNote: r.credit_note,
        }
      : null,
  change:
    r.kind === 'change'
      ? {
          changedOn: r.changed_on!,
          unusedDays: r.unused_days!,
          periodDays: r.period_days!,
          wholesaleFrom: fromDbMinor(r.rate_from!),
          wholesaleTo: fromDbMinor(r.rate_to!),
          creditNote: r.credit_note,
        }
      : null,
});

/** The charges (and credits) an invoice gathered (platform tenant; `resellerId` narrows to one reseller's). */
export async function chargesOfInvoice(
  tx: Tx,
  invoiceIds: string[],
  resellerId?: string,
): Promise<Map<string, WholesaleCharge[]>> {
  const out = new Map<string, WholesaleCharge[]>();
  if (invoiceIds.length === 0) return out;
  const rs = await rows<ChargeRow>(
    tx,
    sql`select c.invoice_id, c.kind, c.service_id, c.product_id, c.description, c.cycle, c.quantity,
               c.period_start::text, c.period_end::text, c.currency, c.price, c.setup_fee, c.retail,
               c.ended_on::text, c.unused_days, c.period_days, n.number as credit_note,
               c.changed_on::text, c.rate_from::text, c.rate_to::text
          from wholesale_charges c
          left join credit_notes n on n.tenant_id = c.tenant_id and n.id = c.credit_note_id
         where c.tenant_id = ${PLATFORM_TENANT_ID}::uuid
           and c.invoice_id = any(${`{${invoiceIds.join(',')}}`}::uuid[])
           ${resellerId ? sql`and c.reseller_id = ${resellerId}::uuid` : sql``}
         order by c.period_start, c.service_id,
                  case c.kind when 'charge' then 0 when 'change' then 1 else 2 end, c.changed_on, c.id`,
  );
  for (const r of rs) {
    const list = out.get(r.invoice_id) ?? [];
    list.push(toCharge(r));
    out.set(r.invoice_id, list);
  }
  return out;
}

/**
 * The wholesale charge of a resold service for the period that contains `day` (locked), if one was made;
 * its `price` is what the reseller pays per period on that day: the period's charged price plus the
 * difference (rate_to − rate_from) of each change of package applied in that period by then (0040), so
 * that the unused days credited or changed later are those of the package the service is on.
 */
export interface ChargedPeriod {
  id: string;
  resellerId: string;
  invoiceId: string | null;
  productId: string | null;
  description: string;
  cycle: string;
  quantity: number;
  periodStart: string;
  periodEnd: string;
  currency: string;
  price: Minor;
}

export async function chargeCovering(
  tx: Tx,
  serviceId: string,
  day: string,
): Promise<ChargedPeriod | undefined> {
  const [r] = await rows<{
    id: string;
    reseller_id: string;
    invoice_id: string | null;
    product_id: string | null;
    description: string;
    cycle: string;
    quantity: number;
    period_start: string;
    period_end: string;
    currency: string;
    price: string;
  }>(
    tx,
    sql`select c.id, c.reseller_id, c.invoice_id, c.product_id, c.description, c.cycle, c.quantity,
               c.period_start::text, c.period_end::text, c.currency,
               greatest(c.price + coalesce((select sum(a.rate_to - a.rate_from) from wholesale_charges a
                                             where a.tenant_id = c.tenant_id and a.service_id = c.service_id
                                               and a.period_start = c.period_start and a.kind = 'change'
                                               and a.changed_on <= ${day}::date), 0), 0)::text as price
          from wholesale_charges c
         where c.tenant_id = ${PLATFORM_TENANT_ID}::uuid and c.service_id = ${serviceId}::uuid
           and c.kind = 'charge' and c.period_start <= ${day}::date and c.period_end > ${day}::date
         order by c.period_start desc limit 1
         for update of c`,
  );
  return (
    r && {
      id: r.id,
      resellerId: r.reseller_id,
      invoiceId: r.invoice_id,
      productId: r.product_id,
      description: r.description,
      cycle: r.cycle,
      quantity: r.quantity,
      periodStart: r.period_start,
      periodEnd: r.period_end,
      currency: r.currency,
      price: fromDbMinor(r.price),
    }
  );
}

/**
 * Records the credit of a charged period's unused days (once per (service, period): a second call records
 * nothing and returns undefined). With the charge already invoiced the credit belongs to that invoice (a
 * credit note settles it); otherwise it waits to be netted on the charge's line when the charge is invoiced.
 */
export async function insertCredit(
  tx: Tx,
  c: ChargedPeriod & {
    serviceId: string;
    amount: Minor;
    endedOn: string;
    unusedDays: number;
    periodDays: number;
  },
): Promise<string | undefined> {
  const [r] = await rows<{ id: string }>(
    tx,
    sql`insert into wholesale_charges (tenant_id, kind, reseller_id, service_id, product_id, description, cycle,
                                       quantity, period_start, period_end, currency, price, setup_fee, retail,
                                       invoice_id, ended_on, unused_days, period_days)
        values (${PLATFORM_TENANT_ID}::uuid, 'credit', ${c.resellerId}::uuid, ${c.serviceId}::uuid,
                ${c.productId}::uuid, ${`Credit: ${c.description}`}, ${c.cycle}, ${c.quantity},
                ${c.periodStart}::date, ${c.periodEnd}::date, ${c.currency}, ${(-c.amount).toString()}::bigint, 0, 0,
                ${c.invoiceId}::uuid, ${c.endedOn}::date, ${c.unusedDays}, ${c.periodDays})
        on conflict (tenant_id, service_id, period_start, kind) where kind <> 'change' do nothing
        returning id`,
  );
  return r?.id;
}

/**
 * The service's wholesale per period as the wholesale run would charge it now (WHOLESALE_LINE: its latest
 * applied change's, else its order line's; 0 for the tenant's own product), times its quantity, add-ons
 * aside — in the reseller's tenant (the caller's scope), before a change of package applies.
 */
export async function wholesaleRateOf(tx: Tx, scope: TenantScope, serviceId: string): Promise<Minor> {
  const [r] = await rows<{ rate: string | null }>(
    tx,
    sql`select (w.price * s.quantity)::text as rate
          from client_services s
          join orders o on o.tenant_id = s.tenant_id and o.id = s.order_id
          cross join (select false as first) p
          ${WHOLESALE_LINE}
         where ${tenantIs(scope, sql`s.tenant_id`)} and s.id = ${serviceId}::uuid`,
  );
  return r?.rate ? fromDbMinor(r.rate) : 0n;
}

/**
 * The service's current period as the wholesale run keys its charge (PERIOD_START – its next due date), in
 * the reseller's tenant (the caller's scope); undefined for a service that does not renew.
 */
export async function chargePeriodOf(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
): Promise<{ start: string; end: string } | undefined> {
  const [r] = await rows<{ start: string; end: string | null }>(
    tx,
    sql`select (${PERIOD_START})::text as start, s.next_due_date::text as end
          from client_services s
         where ${tenantIs(scope, sql`s.tenant_id`)} and s.id = ${serviceId}::uuid`,
  );
  return r?.end ? { start: r.start, end: r.end } : undefined;
}

/**
 * Records a change of package's wholesale difference for its charged period (once per change: a second call
 * records nothing and returns undefined). A credit (negative) against a charge already invoiced belongs to
 * that invoice (a credit note settles it); otherwise it waits for the next consolidated invoice.
 */
export async function insertChangeCharge(
  tx: Tx,
  c: ChargedPeriod & {
    serviceId: string;
    changeId: string;
    description: string;
    amount: Minor;
    retail: Minor;
    rateFrom: Minor;
    rateTo: Minor;
    changedOn: string;
    unusedDays: number;
    periodDays: number;
  },
): Promise<string | undefined> {
  const invoiceId = c.amount < 0n ? c.invoiceId : null;
  const [r] = await rows<{ id: string }>(
    tx,
    sql`insert into wholesale_charges (tenant_id, kind, reseller_id, service_id, product_id, description, cycle,
                                       quantity, period_start, period_end, currency, price, setup_fee, retail,
                                       invoice_id, change_id, rate_from, rate_to, changed_on, unused_days,
                                       period_days)
        values (${PLATFORM_TENANT_ID}::uuid, 'change', ${c.resellerId}::uuid, ${c.serviceId}::uuid,
                ${c.productId}::uuid, ${c.description}, ${c.cycle}, ${c.quantity}, ${c.periodStart}::date,
                ${c.periodEnd}::date, ${c.currency}, ${c.amount.toString()}::bigint, 0,
                ${c.retail.toString()}::bigint, ${invoiceId}::uuid, ${c.changeId}::uuid,
                ${c.rateFrom.toString()}::bigint, ${c.rateTo.toString()}::bigint, ${c.changedOn}::date,
                ${c.unusedDays}, ${c.periodDays})
        on conflict (tenant_id, change_id) where kind = 'change' do nothing
        returning id`,
  );
  return r?.id;
}

/**
 * Claims a service's period at a wholesale price of 0 (nothing owed, nothing retail), unless it was charged:
 * the reseller's own product became a resold one within it, and the change of package's row owes the unused
 * days at the new wholesale — the run never charges that (service, period) again.
 */
export async function claimUnchargedPeriod(
  tx: Tx,
  c: Omit<ChargedPeriod, 'id' | 'invoiceId' | 'price'> & { serviceId: string },
): Promise<void> {
  await tx.execute(sql`
    insert into wholesale_charges (tenant_id, reseller_id, service_id, product_id, description, cycle, quantity,
                                   period_start, period_end, currency, price, setup_fee, retail)
    values (${PLATFORM_TENANT_ID}::uuid, ${c.resellerId}::uuid, ${c.serviceId}::uuid, ${c.productId}::uuid,
            ${c.description}, ${c.cycle}, ${c.quantity}, ${c.periodStart}::date, ${c.periodEnd}::date,
            ${c.currency}, 0, 0, 0)
    on conflict (tenant_id, service_id, period_start, kind) where kind <> 'change' do nothing`);
}

export async function setCreditNote(tx: Tx, creditId: string, creditNoteId: string): Promise<void> {
  await tx.execute(sql`
    update wholesale_charges set credit_note_id = ${creditNoteId}::uuid
     where tenant_id = ${PLATFORM_TENANT_ID}::uuid and id = ${creditId}::uuid`);
}

/** The platform's wholesale invoices (newest first), all resellers' or one's. */
export async function wholesaleInvoiceIds(
  tx: Tx,
  q: { resellerId?: string | undefined; limit: number },
): Promise<string[]> {
  const rs = await rows<{ id: string }>(
    tx,
    sql`select id from invoices
         where tenant_id = ${PLATFORM_TENANT_ID}::uuid and reason = 'wholesale'
           ${q.resellerId ? sql`and client_id = ${q.resellerId}::uuid` : sql``}
         order by id desc limit ${q.limit}`,
  );
  return rs.map((r) => r.id);
}

export type UnpaidAction = 'remind' | 'suspend';

export interface WholesalePolicy {
  unpaidAction: UnpaidAction;
  suspendAfterDays: number;
}

export const DEFAULT_WHOLESALE_POLICY: WholesalePolicy = { unpaidAction: 'remind', suspendAfterDays: 14 };

export async function getWholesalePolicy(tx: Tx): Promise<WholesalePolicy> {
  const [r] = await rows<{ unpaid_action: UnpaidAction; suspend_after_days: number }>(
    tx,
    sql`select unpaid_action, suspend_after_days from wholesale_policy
         where tenant_id = ${PLATFORM_TENANT_ID}::uuid`,
  );
  return r
    ? { unpaidAction: r.unpaid_action, suspendAfterDays: r.suspend_after_days }
    : DEFAULT_WHOLESALE_POLICY;
}

export async function saveWholesalePolicy(tx: Tx, p: WholesalePolicy): Promise<void> {
  await tx.execute(sql`
    insert into wholesale_policy (tenant_id, unpaid_action, suspend_after_days)
    values (${PLATFORM_TENANT_ID}::uuid, ${p.unpaidAction}, ${p.suspendAfterDays})
    on conflict (tenant_id) do update set unpaid_action = excluded.unpaid_action,
      suspend_after_days = excluded.suspend_after_days, updated_at = now()`);
}

/** The currency a reseller's platform account is opened in (its wholesale invoices follow its orders'). */
export const RESELLER_ACCOUNT_CURRENCY = 'EUR';

/**
 * A reseller as the platform's billing client (identity.reseller.created/updated.v1): its tenant id is its
 * client id in the platform's tenant, its brand its name, its contact address (the reseller owner's, in the
 * event's optional `contactEmail`) where the platform's invoices and reminders go. An event without one (an
 * older identity) keeps the address known, or a non-deliverable placeholder until one is known.
 */
export async function upsertResellerClient(
  tx: Tx,
  r: { resellerId: string; brandName: string; contactEmail?: string | undefined },
): Promise<void> {
  const email = r.contactEmail ?? `reseller-${r.resellerId}@resellers.invalid`;
  await tx.execute(sql`
    insert into clients (tenant_id, id, email, name, currency)
    values (${PLATFORM_TENANT_ID}::uuid, ${r.resellerId}::uuid, ${email}, ${r.brandName},
            ${RESELLER_ACCOUNT_CURRENCY})
    on conflict (tenant_id, id) do update
      set name = excluded.name, email = coalesce(${r.contactEmail ?? null}::text, clients.email)`);
}
