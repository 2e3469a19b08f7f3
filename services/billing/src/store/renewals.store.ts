import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';
import { tenantIs } from './sql';

/** Months of each renewing cycle, as SQL (the same table as domain/cycles.ts). */
const MONTHS = sql`(case s.cycle when 'monthly' then 1 when 'quarterly' then 3 when 'semiannually' then 6
                     when 'annually' then 12 when 'biennially' then 24 when 'triennially' then 36 end)`;

/** Months of an add-on's cycle (`a.x` is its JSON), null for one that does not renew. */
const ADDON_MONTHS = sql`(case a.x ->> 'cycle' when 'monthly' then 1 when 'quarterly' then 3
                           when 'semiannually' then 6 when 'annually' then 12 when 'biennially' then 24
                           when 'triennially' then 36 end)`;

/** `date + n months`: PostgreSQL clamps to the month's last day (31 Jan + 1 month = 28/29 Feb), as addCycle. */
const plusMonths = (date: SQL, months: SQL) => sql`((${date}) + make_interval(months => ${months}))::date`;

/** An add-on's price for the renewed period (its own cycle fits the service's whole times). */
const ADDON_PRICE = sql`((a.x ->> 'recurringAmount')::bigint * (w.months / am.months))`;
/**
 * A line's tax, half-up per line: on top of the price (bigint arithmetic, the hot path), or taken out of
 * it when the tenant's prices include tax (billing_line_tax, 0031: money.ts lineTax's SQL twin).
 */
const lineTax = (price: SQL) =>
  sql`(case when w.tax_inclusive then billing_line_tax(${price}, w.tax_rate_bps, true)
            else (${price} * w.tax_rate_bps + 5000) / 10000 end)`;
/** The part of a price that is tax when prices include it (0 otherwise): the line's amount is the rest. */
const inside = (price: SQL) =>
  sql`(case when w.tax_inclusive then billing_line_tax(${price}, w.tax_rate_bps, true) else 0 end)`;

/**
 * The batch's id mint: UUIDv7 ids (RFC 9562: 48-bit Unix milliseconds, version 7, 72 random bits, variant 10)
 * sharing the statement's millisecond, their random bits the MD5 of a per-statement secret seed (one strong
 * random UUID, never stored) and what the id is for (a salt and the service's id, distinct in a batch). Each
 * id stays unpredictable without the seed and unique (72 bits apart; the primary keys refuse the
 * astronomically unlikely clash, and the batch is retried with a new seed). Why not billing_uuidv7() per row:
 * PostgreSQL's gen_random_uuid() costs ~5.5 µs a call on the bench machine (strong randomness per call), and
 * billing_uuidv7() ~10 µs with its bytea-to-hex round trip; two per renewal invoice were ~15% of the batch's
 * CPU (issue 16). These two calls run once per statement (uncorrelated subqueries).
 */
const MINT_PREFIX = sql`(select lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0') || '7')`;
const MINT_SEED = sql`(select gen_random_uuid()::text)`;
/** A minted id from a row's MD5 (32 hex digits): 3 for rand_a, the variant nibble, 15 for rand_b. */
const minted = (md5: SQL) =>
  sql`((select prefix from mint) || substr(${md5}, 1, 3) || '8' || substr(${md5}, 4, 15))::uuid`;
/** The MD5 an id of `salt` for the service `serviceId` is minted from. */
const mintHash = (salt: string, serviceId: SQL) =>
  sql`md5((select seed from mint) || ${sql.raw(`'${salt}'`)} || ${serviceId}::text)`;

/**
 * The invoice-issued envelope of one renewal invoice, built in SQL as the JSON text the relay publishes (the
 * outbox stores json text, kit migration 0004): concatenated, not jsonb_build_object — a jsonb object per
 * invoice cost ~8 µs to build and ~4 µs more to print back to text, a tenth of the batch; this ~3 µs. Every
 * value is a uuid, a number, an ISO date or a constant, except the number (a tenant's prefix: quoted and
 * escaped by to_json) and the currency (three letters, still quoted by to_json); the column's json type checks
 * the whole on insert and the shape is tested against the contract. Its time is the batch's (one uncorrelated
 * subquery, evaluated once per statement, not a to_char per row).
 */
const ISSUED_ENVELOPE = sql`('{"id":"' || e.event_id || '","type":"billing.invoice.issued.v1","source":"billing","time":"'
  || (select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
  || '","tenantId":"' || e.tenant_id || '","correlationId":"' || e.event_id
  || '","data":{"invoiceId":"' || e.invoice_id || '","number":' || to_json(e.number)::text
  || ',"clientId":"' || e.client_id || '","currency":' || to_json(e.currency::text)::text
  || ',"subtotal":' || e.subtotal || ',"tax":' || e.tax_total || ',"total":' || e.total
  || ',"dueDate":"' || e.due_date::text || '","reason":"renewal","purpose":"renewal"}}')::json`;

export interface RenewalBatch {
  /** Whether the walk may go on (a full batch issued, or a full window walked). */
  more: boolean;
  /** Due services this batch took (locked) to issue. */
  selected: number;
  /** Invoices issued by this batch (a service already renewed for its period is never issued again). */
  issued: number;
  /** Issued invoices of nothing (settled at once by the caller). */
  free: { tenantId: string; invoiceId: string }[];
  /** Where the next batch of the same run starts (keyset: due date, service id); null when none selected. */
  last: RenewalCursor | null;
}

export interface RenewalCursor {
  date: string;
  id: string;
}

/** One of `of` lanes a run is walked in at once (`is` in 0…of-1). */
export interface RenewalLane {
  is: number;
  of: number;
}

/**
 * The lane a tenant's services are renewed in: every service of a tenant in one lane, so concurrent lanes
 * never wait for each other's locks (the tenant's number counter above all) nor issue across each other.
 * The last byte of the tenant's id (UUIDv7: random bits).
 */
const renewalLaneOf = (tenantId: SQL, lanes: number) =>
  sql`(get_byte(uuid_send(${tenantId}), 15) % ${lanes}::int)`;

/** The longest lead any tenant may set (settings allow 0–365): the widest range a run walks. */
export const MAX_LEAD_DAYS = 365;

/**
 * A batch walks up to this many times its size of renewable services to find that many due ones. A batch of
 * due services stops at its size whatever the factor (the walk is read as the batch goes); the factor bounds
 * the batches of a walk through services not due (a rerun of the period reads the whole due window): each
 * such batch costs a statement's fixed price (~25 ms of planning for this one), so fewer, longer ones — 4
 * made a 1M rerun 50 batches, 8.6 s against a 7.2 s floor.
 */
const WALK_FACTOR = 20;

/** The longest renewal lead any tenant has set (the default 14 when none): how far ahead a run walks. */
export async function longestLeadDays(tx: Tx, scope: TenantScope): Promise<number> {
  const [r] = await rows<{ days: number }>(
    tx,
    sql`select greatest(14, coalesce(max(renewal_lead_days), 14))::int as days from billing_settings
         where ${tenantIs(scope)}`,
  );
  return Math.min(r?.days ?? 14, MAX_LEAD_DAYS);
}

/**
 * Issues the renewal invoices of one bounded batch of due services, in ONE statement in the caller's
 * transaction, never a row at a time:
 *   walk     the next `limit` renewable services (active or suspended, not pending cancellation) due
 *            within `horizonDays`, in (due date, id) order from `after`: a keyset over a partial index, so
 *            each batch of a run reads only its own rows and a run is linear in the due set;
 *   due      those whose due date minus their tenant's lead days has come, renewing, with no renewal
 *            covering that due date yet, locked SKIP LOCKED (a concurrent run takes the others);
 *   claimed  the (service, period start) key inserted ON CONFLICT DO NOTHING: what another run issued
 *            meanwhile is dropped here, so nothing is ever issued twice;
 *   numbered each tenant's counter bumped once by its count (the row lock serialises issuers, a rollback
 *            gives the numbers back: gapless) and the numbers handed out in order;
 *   lines    the recurring amount and each add-on whose cycle divides the service's, tax half-up per line,
 *            the invoice's totals summed per service (no join between intermediate sets on the invoice);
 *   then the invoices, their lines and one `billing.invoice.issued.v1` outbox row each.
 */
export async function issueRenewalBatch(
  tx: Tx,
  scope: TenantScope,
  today: string,
  limit: number,
  after: RenewalCursor | null = null,
  horizonDays = MAX_LEAD_DAYS,
  /** One service renewed now, however far its due date (an early renewal the client asked for). */
  only: string | null = null,
  /** The lane of a run walked in several at once: only its tenants (see renewalLaneOf). */
  lane: RenewalLane | null = null,
): Promise<RenewalBatch> {
  const year = Number(today.slice(0, 4));
  const from = after ? sql`and (s.next_due_date, s.id) > (${after.date}::date, ${after.id}::uuid)` : sql``;
  const inLane = lane ? sql`and ${renewalLaneOf(sql`s.tenant_id`, lane.of)} = ${lane.is}` : sql``;
  const within = only
    ? sql`and s.id = ${only}::uuid`
    : sql`and s.next_due_date <= ${today}::date + ${horizonDays}::int`;
  const leadCome = only
    ? sql`k.id = ${only}::uuid`
    : sql`k.next_due_date - coalesce(((select m from leads) ->> k.tenant_id::text)::int, 14) <= ${today}::date`;
  // The statement is built to walk indexes from the keyset and stop at its limit; the planner's estimates
  // (the tenant policy's filter reads as ~1% of rows) made it pick a full scan and a sort of client_services
  // instead (2 s at 1M services) and compile the statement with JIT (~0.8 s a batch): both off for this
  // statement only, the previous values back after it.
  const [was] = await rows<{ jit: string; seqscan: string }>(
    tx,
    sql`select current_setting('jit') as jit, current_setting('enable_seqscan') as seqscan,
               set_config('jit', 'off', true), set_config('enable_seqscan', 'off', true)`,
  );
  const [r] = await rows<{
    more: boolean;
    selected: number;
    issued: number;
    free: { t: string; i: string }[] | null;
    last_date: string | null;
    last_id: string | null;
  }>(
    tx,
    sql`
    with
    -- the batch's id mint (MINT_*): its millisecond and its secret seed, once per statement
    mint as materialized (select ${MINT_PREFIX} as prefix, ${MINT_SEED} as seed),
    -- every tenant's lead days, read once per batch: one lookup in memory per walked service, not a query each
    leads as materialized (
      select coalesce(jsonb_object_agg(b.tenant_id::text, b.renewal_lead_days), '{}'::jsonb) as m
        from billing_settings b where ${tenantIs(scope, sql`b.tenant_id`)}
    ),
    -- the next renewable services of the walk (read only to know where the next batch starts when this one
    -- is short: a full batch never reads it)
    walk as materialized (
      select s.id, s.next_due_date from client_services s
       where ${tenantIs(scope, sql`s.tenant_id`)}
         and s.status in ('active', 'suspended') and s.cancel_at is null
         ${within} ${from} ${inLane}
       order by s.next_due_date, s.id
       limit ${limit * WALK_FACTOR}
    ),
    -- the first limit due services of the same walk, taken as the walk goes: the walk is inlined in walk
    -- order (the keyset index's order) and each of its rows checked through primary keys (the service, its
    -- tenant's lead days, its renewal key), so the batch stops after its limit-th due service instead of
    -- checking the whole walk and sorting it
    due as materialized (
      select s.tenant_id, s.id, s.next_due_date, coalesce(s.term_months, ${MONTHS}) as months
        from (
          -- the walk's due services: its tenant's lead days have come and no renewal covers the due date
          -- yet (a domain's due date follows its registrar's expiry, which may move it inside a period
          -- already invoiced); checked on the walk's own rows (OFFSET 0: before the service is read again),
          -- so a rerun of the period reads nothing more than the walk and the renewal keys
          select k.* from (select s.id, s.tenant_id, s.next_due_date, s.cycle, s.term_months from client_services s
                            where ${tenantIs(scope, sql`s.tenant_id`)}
                              and s.status in ('active', 'suspended') and s.cancel_at is null
                              ${within} ${from} ${inLane}
                            order by s.next_due_date, s.id
                            limit ${limit * WALK_FACTOR}) k
           where k.cycle not in ('onetime', 'free')
             and ${leadCome}
             and not exists (select 1 from service_renewals r
                              where r.tenant_id = k.tenant_id and r.service_id = k.id
                                and r.period_start <= k.next_due_date and r.period_end > k.next_due_date)
           order by k.next_due_date, k.id
          offset 0
        ) k
        -- the service itself, to lock it; rechecked on the locked row: a service changed since the walk read
        -- it (cancelled, suspended elsewhere, its due date or term moved) is left to the next run
        join client_services s on s.id = k.id
       where ${tenantIs(scope, sql`s.tenant_id`)}
         and s.status in ('active', 'suspended') and s.cancel_at is null
         and s.next_due_date = k.next_due_date and s.cycle = k.cycle
         and s.term_months is not distinct from k.term_months
       order by k.next_due_date, k.id
       limit ${limit}
       for update of s skip locked
    ),
    claimed as (
      insert into service_renewals (tenant_id, service_id, period_start, period_end, invoice_id)
      select d.tenant_id, d.id, d.next_due_date, ${plusMonths(sql`d.next_due_date`, sql`d.months`)}, ${minted(sql`m.h`)}
        from due d
        cross join lateral (select ${mintHash('i', sql`d.id`)} as h) m
      -- the key's own index is the only arbiter: the invoice id is new, its unique index is not probed twice
      on conflict (tenant_id, service_id, period_start) do nothing
      returning tenant_id, service_id, period_start, period_end, invoice_id
    ),
    -- what was claimed, with the service read again through its primary key (an index lookup per row: a
    -- join of the two intermediate sets would be planned as a nested loop over both, quadratic in the batch)
    work as materialized (
      select c.invoice_id, c.period_start, c.period_end, s.tenant_id, s.id, s.client_id, s.currency, s.cycle,
             s.quantity, s.product_name, s.recurring_amount, s.addons, s.next_due_date, s.term_months,
             coalesce(s.term_months, ${MONTHS}) as months,
             -- the client's tax: its country's rule, reverse charge, exemption (billing_tax_from: the rules of
             -- billing_tax_for, as orders, over the client and settings rows read here once)
             tx.name as tax_name, tx.rate_bps as tax_rate_bps, tx.note as tax_note,
             -- prices that include tax (the tenant's setting): each line's tax is taken out of its price
             coalesce(b.tax_inclusive, false) as tax_inclusive,
             coalesce(b.invoice_prefix, 'INV-') as prefix, coalesce(b.invoice_padding, 6) as padding,
             coalesce(b.invoice_yearly_reset, true) as yearly,
             case when coalesce(b.invoice_yearly_reset, true) then ${year} else 0 end as counter_period,
             row_number() over (partition by s.tenant_id order by s.next_due_date, s.id) as nth,
             count(*) over (partition by s.tenant_id) as n_in_tenant,
             jsonb_strip_nulls(jsonb_build_object('name', cl.name, 'email', cl.email, 'country', cl.country,
                                                  'region', cl.region, 'vatId', cl.vat_id)) as buyer,
             ${minted(sql`m.h`)} as event_id
        from claimed c
        join client_services s on s.id = c.service_id
        join clients cl on cl.tenant_id = s.tenant_id and cl.id = s.client_id
        left join billing_settings b on b.tenant_id = s.tenant_id
        cross join lateral billing_tax_from(s.tenant_id, b.tax_name, b.tax_rate_bps, b.tax_country, cl.country,
                                            cl.region, cl.vat_id, cl.tax_exempt) tx
        cross join lateral (select ${mintHash('e', sql`c.service_id`)} as h) m
    ),
    lines as materialized (
      select w.tenant_id, w.invoice_id, 1 as position,
             w.product_name || case when w.quantity > 1 then ' × ' || w.quantity else '' end
               -- a domain renews for its term, named in years (its cycle only says annually for 4–10 years)
               || case when w.term_months is null then ''
                       when w.term_months % 12 = 0 then ' renewal, ' || (w.term_months / 12)
                            || case when w.term_months = 12 then ' year' else ' years' end
                       else ' renewal, ' || w.term_months || ' months' end
               || ' (' || w.period_start || ' – ' || w.period_end || ')' as description,
             w.recurring_amount - ${inside(sql`w.recurring_amount`)} as amount, w.id as service_id,
             w.period_start, w.period_end, ${lineTax(sql`w.recurring_amount`)} as tax
        from work w
      union all
      select w.tenant_id, w.invoice_id, 1 + a.ord::int,
             (a.x ->> 'description') || ' × ' || (a.x ->> 'quantity')
               || case when w.months / am.months > 1 then ' × ' || (w.months / am.months) || ' ' || (a.x ->> 'cycle')
                       else '' end,
             ${ADDON_PRICE} - ${inside(ADDON_PRICE)},
             w.id, w.period_start, w.period_end, ${lineTax(ADDON_PRICE)}
        from work w
        cross join lateral jsonb_array_elements(w.addons) with ordinality as a(x, ord)
        cross join lateral (select ${ADDON_MONTHS} as months) am
       where am.months is not null and w.months % am.months = 0
    ),
    counts as (
      select distinct tenant_id, counter_period, n_in_tenant as n from work
    ),
    bumped as (
      insert into number_counters (tenant_id, series, period, value)
      select tenant_id, 'invoice', counter_period, n from counts
       order by tenant_id, counter_period -- one lock order for every issuer: concurrent batches never deadlock
      on conflict (tenant_id, series, period) do update set value = number_counters.value + excluded.value
      returning tenant_id, period, value
    ),
    -- each tenant's counter after the bump, as one lookup object (not a join per invoice)
    tops as materialized (
      select jsonb_object_agg(tenant_id::text || '/' || period, value) as m from bumped
    ),
    issued as materialized (
      select w.*, t.subtotal, t.tax_total, t.subtotal + t.tax_total as total, w.period_start as due_date,
             w.prefix || case when w.yearly then ${year} || '-' else '' end
               || case when length(q.seq) >= w.padding then q.seq else lpad(q.seq, w.padding, '0') end as number
        from work w
        cross join tops
        cross join lateral (
          select ((tops.m ->> (w.tenant_id::text || '/' || w.counter_period))::bigint - w.n_in_tenant + w.nth)::text
                   as seq
        ) q
        -- the service's line plus its add-ons' lines, summed from the row itself (no join on the invoice)
        cross join lateral (
          select w.recurring_amount - ${inside(sql`w.recurring_amount`)} + coalesce(sum(x.amount), 0) as subtotal,
                 ${lineTax(sql`w.recurring_amount`)} + coalesce(sum(x.tax), 0) as tax_total
            from (select ${ADDON_PRICE} - ${inside(ADDON_PRICE)} as amount, ${lineTax(ADDON_PRICE)} as tax
                    from jsonb_array_elements(w.addons) as a(x)
                   cross join lateral (select ${ADDON_MONTHS} as months) am
                   where am.months is not null and w.months % am.months = 0) x
        ) t
    ),
    inv as (
      insert into invoices (id, tenant_id, client_id, order_id, reason, number, status, currency, subtotal, tax_name,
                            tax_rate_bps, tax_total, total, buyer, due_date, tax_note)
      select e.invoice_id, e.tenant_id, e.client_id, null, 'renewal', e.number, 'unpaid', e.currency, e.subtotal,
             e.tax_name, e.tax_rate_bps, e.tax_total, e.total, e.buyer, e.due_date, e.tax_note
        from issued e
      returning id
    ),
    lns as (
      insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, unit_price, setup_fee,
                                 discount, amount, tax, total, service_id, period_start, period_end)
      select tenant_id, invoice_id, position, description, 1, amount, 0, 0, amount, tax, amount + tax,
             service_id, period_start, period_end
        from lines
      returning invoice_id
    ),
    events as (
      insert into outbox (id, tenant_id, type, envelope)
      select e.event_id, e.tenant_id, 'billing.invoice.issued.v1', ${ISSUED_ENVELOPE} from issued e
      returning id
    ),
    -- where the next batch starts: after the last service issued when the batch is full (the rest of the
    -- walk is walked again), else after the whole walk (read only then)
    tail as (
      select * from (select d.next_due_date::text as last_date, d.id as last_id from due d
                      where (select count(*) from due) = ${limit}
                      order by d.next_due_date desc, d.id desc limit 1) full_batch
      union all
      select * from (select k.next_due_date::text, k.id from walk k
                      where (select count(*) from due) < ${limit}
                      order by k.next_due_date desc, k.id desc limit 1) short_batch
    )
    select (select count(*) from due) = ${limit} or (select count(*) from walk) = ${limit * WALK_FACTOR} as more,
           (select count(*) from due)::int as selected,
           (select count(*) from inv)::int as issued,
           (select count(*) from lns)::int as lines,
           (select count(*) from events)::int as events,
           (select json_agg(json_build_object('t', tenant_id, 'i', invoice_id)) from issued where total = 0) as free,
           (select last_date from tail) as last_date, (select last_id from tail) as last_id`,
  );
  await tx.execute(
    sql`select set_config('jit', ${was!.jit}, true), set_config('enable_seqscan', ${was!.seqscan}, true)
               ${r!.issued > 0 ? sql`, pg_notify('geminis_outbox', '')` : sql``}`,
  );
  return {
    more: r!.more,
    selected: r!.selected,
    issued: r!.issued,
    free: (r!.free ?? []).map((f) => ({ tenantId: f.t, invoiceId: f.i })),
    last: r!.last_date && r!.last_id ? { date: r!.last_date, id: r!.last_id } : null,
  };
}

/** The renewal invoice covering the service's current due date, if one was issued. */
export async function renewalCovering(tx: Tx, scope: TenantScope, serviceId: string): Promise<string | null> {
  const [r] = await rows<{ invoice_id: string }>(
    tx,
    sql`select r.invoice_id from service_renewals r
          join client_services s on s.tenant_id = r.tenant_id and s.id = r.service_id
         where ${tenantIs(scope, sql`r.tenant_id`)} and r.service_id = ${serviceId}
           and r.period_start <= s.next_due_date and r.period_end > s.next_due_date`,
  );
  return r?.invoice_id ?? null;
}

/** The renewal an invoice pays for (service and period), or null when it is not a renewal invoice. */
export async function renewalOf(
  tx: Tx,
  scope: TenantScope,
  invoiceId: string,
): Promise<{ serviceId: string; periodStart: string; periodEnd: string } | null> {
  const [r] = await rows<{ service_id: string; period_start: string; period_end: string }>(
    tx,
    sql`select service_id, period_start::text, period_end::text from service_renewals
         where ${tenantIs(scope)} and invoice_id = ${invoiceId}`,
  );
  return r ? { serviceId: r.service_id, periodStart: r.period_start, periodEnd: r.period_end } : null;
}

/** Whether the service still has an unpaid renewal invoice due on or before `today`. */
export async function hasOverdueRenewal(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
  today: string,
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`select i.id from service_renewals r
          join invoices i on i.tenant_id = r.tenant_id and i.id = r.invoice_id
         where ${tenantIs(scope, sql`r.tenant_id`)} and r.service_id = ${serviceId}
           and i.status in ('unpaid', 'partially_paid') and i.due_date <= ${today}::date
         limit 1`,
  );
  return r.length > 0;
}

/** Cancels the service's renewal invoices nothing was paid on (the service is cancelled). */
export async function cancelUnpaidRenewals(tx: Tx, scope: TenantScope, serviceId: string): Promise<number> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update invoices i set status = 'cancelled'
          from service_renewals r
         where ${tenantIs(scope, sql`i.tenant_id`)} and r.tenant_id = i.tenant_id and r.invoice_id = i.id
           and r.service_id = ${serviceId} and i.status = 'unpaid'
        returning i.id`,
  );
  return r.length;
}

/** Staff give more time: the due date of the service's outstanding renewal invoices moves `days` later. */
export async function extendOpenRenewals(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
  days: number,
): Promise<number> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update invoices i set due_date = i.due_date + ${days}::int
          from service_renewals r
         where ${tenantIs(scope, sql`i.tenant_id`)} and r.tenant_id = i.tenant_id and r.invoice_id = i.id
           and r.service_id = ${serviceId} and i.status in ('unpaid', 'partially_paid')
        returning i.id`,
  );
  return r.length;
}
