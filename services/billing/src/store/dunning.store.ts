import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';
import { tenantIs } from './sql';

/** A lifecycle request's envelope (billing.service.*_requested.v1), built in SQL from a row `e`. */
const requestEnvelope = (type: string) => sql`jsonb_build_object(
  'id', e.event_id, 'type', ${type}::text, 'source', 'billing',
  'time', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'tenantId', e.tenant_id, 'correlationId', e.event_id,
  'data', jsonb_build_object('serviceId', e.id, 'clientId', e.client_id, 'module', e.module,
                             'reason', left(e.reason, 500)))`;

/**
 * The tail of a set-based lifecycle statement: one `type` request per row of its `moved` CTE (tenant_id, id,
 * client_id, module, reason), each with its own event id, in the outbox (CTEs `e` and `events`).
 */
export const requestEventsOfMoved = (
  type: string,
) => sql`e as materialized (select m.*, billing_uuidv7() as event_id from moved m),
    events as (
      insert into outbox (id, tenant_id, type, envelope)
      select e.event_id, e.tenant_id, ${type}, ${requestEnvelope(type)}
        from e
      returning id
    )`;

/** An event's envelope built in SQL from a row `e` (with `event_id` and `tenant_id`) and its data. */
const eventEnvelope = (type: string, data: SQL) => sql`jsonb_build_object(
  'id', e.event_id, 'type', ${type}::text, 'source', 'billing',
  'time', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
  'tenantId', e.tenant_id, 'correlationId', e.event_id, 'data', ${data})`;

/** The tenant's setting, or its default when the tenant never saved settings (a null setting: off). */
const setting = (column: string, fallback: number | null): SQL =>
  sql`(case when b.tenant_id is null then ${fallback}::int else ${sql.identifier('b')}.${sql.identifier(column)} end)`;

/** The oldest renewal invoice of service `s` still unpaid past `since` days after its due date, whose step has not run. */
const overdueInvoice = (today: string, days: SQL, step: string) => sql`
  cross join lateral (
    select i.id as invoice_id, i.number
      from service_renewals r join invoices i on i.tenant_id = r.tenant_id and i.id = r.invoice_id
     where r.tenant_id = s.tenant_id and r.service_id = s.id and i.status in ('unpaid', 'partially_paid')
       and i.due_date + ${days} <= ${today}::date
       and not exists (select 1 from dunning_steps d
                        where d.tenant_id = i.tenant_id and d.invoice_id = i.id and d.step = ${step})
     order by i.due_date limit 1) o`;

export interface StepBatch {
  selected: number;
  moved: number;
}

async function runStep(tx: Tx, statement: SQL, events = true): Promise<StepBatch> {
  const [r] = await rows<StepBatch>(tx, statement);
  if (events && r!.moved > 0) await tx.execute(sql`select pg_notify('geminis_outbox', '')`);
  return r!;
}

/**
 * Suspends, in one statement, a bounded batch of active services whose renewal invoice is overdue by the
 * tenant's `suspend_after_days`: the (invoice, 'suspend') step is claimed first (ON CONFLICT DO NOTHING, so
 * it never runs twice for an invoice, even after staff lift the suspension), the service moves to suspended
 * for non-payment, and `billing.service.suspend_requested.v1` goes to the outbox in the same transaction.
 */
export function suspendOverdueBatch(tx: Tx, scope: TenantScope, today: string, limit: number) {
  const days = setting('suspend_after_days', 5);
  return runStep(
    tx,
    sql`
    with due as (
      select s.tenant_id, s.id, o.invoice_id, o.number
        from client_services s
        left join billing_settings b on b.tenant_id = s.tenant_id
        ${overdueInvoice(today, days, 'suspend')}
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.status = 'active' and ${days} is not null
         and not s.dunning_exempt
         -- a domain is never suspended for non-payment: unpaid, it lapses at its registrar's expiry
         and s.product_type <> 'domain'
       order by s.tenant_id, s.id
       limit ${limit}
       for update of s skip locked
    ),
    steps as (
      insert into dunning_steps (tenant_id, invoice_id, step, service_id, taken_on)
      select tenant_id, invoice_id, 'suspend', id, ${today}::date from due
      on conflict do nothing
      returning tenant_id, invoice_id, service_id
    ),
    moved as (
      update client_services s
         set status = 'suspended', suspend_reason = 'overdue', suspended_on = ${today}::date,
             suspend_note = 'invoice ' || d.number || ' overdue', pending_action = 'suspend', pending_since = now(),
             updated_at = now()
        from steps t join due d on d.tenant_id = t.tenant_id and d.invoice_id = t.invoice_id
       where s.tenant_id = t.tenant_id and s.id = t.service_id and s.status = 'active'
      returning s.tenant_id, s.id, s.client_id, s.module, s.suspend_note as reason
    ),
    ${requestEventsOfMoved('billing.service.suspend_requested.v1')}
    select (select count(*) from due)::int as selected, (select count(*) from events)::int as moved`,
  );
}

/**
 * Terminates, in one statement, a bounded batch of services suspended for non-payment for the tenant's
 * `terminate_after_days` (off by default) whose renewal invoice is still unpaid: the (invoice, 'terminate')
 * step claimed once, the service terminated, `billing.service.terminate_requested.v1` in the outbox.
 */
export function terminateOverdueBatch(tx: Tx, scope: TenantScope, today: string, limit: number) {
  const days = setting('terminate_after_days', null);
  return runStep(
    tx,
    sql`
    with due as (
      select s.tenant_id, s.id, o.invoice_id, o.number
        from client_services s
        left join billing_settings b on b.tenant_id = s.tenant_id
        ${overdueInvoice(today, sql`0`, 'terminate')}
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.status = 'suspended' and s.suspend_reason = 'overdue'
         and not s.dunning_exempt and ${days} is not null and s.suspended_on + ${days} <= ${today}::date
       order by s.tenant_id, s.id
       limit ${limit}
       for update of s skip locked
    ),
    steps as (
      insert into dunning_steps (tenant_id, invoice_id, step, service_id, taken_on)
      select tenant_id, invoice_id, 'terminate', id, ${today}::date from due
      on conflict do nothing
      returning tenant_id, invoice_id, service_id
    ),
    moved as (
      update client_services s
         set status = 'terminated', suspend_reason = null, suspend_note = null, suspended_on = null,
             pending_action = 'terminate', pending_since = now(), updated_at = now()
        from steps t
       where s.tenant_id = t.tenant_id and s.id = t.service_id and s.status = 'suspended'
      returning s.tenant_id, s.id, s.client_id, s.module
    ),
    e as materialized (
      select m.*, 'invoice ' || d.number || ' unpaid: suspended too long' as reason, billing_uuidv7() as event_id
        from moved m join due d on d.tenant_id = m.tenant_id and d.id = m.id
    ),
    events as (
      insert into outbox (id, tenant_id, type, envelope)
      select e.event_id, e.tenant_id, 'billing.service.terminate_requested.v1',
             ${requestEnvelope('billing.service.terminate_requested.v1')}
        from e
      returning id
    )
    select (select count(*) from due)::int as selected, (select count(*) from events)::int as moved`,
  );
}

/**
 * Ends, in one statement, a bounded batch of services whose client asked to cancel at the end of the
 * period, once that period is over: cancelled, `billing.service.terminate_requested.v1` in the outbox.
 */
export function cancelEndedBatch(tx: Tx, scope: TenantScope, today: string, limit: number) {
  return runStep(
    tx,
    sql`
    with due as (
      select s.tenant_id, s.id from client_services s
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.status in ('active', 'suspended')
         and s.cancel_at = 'end_of_period' and s.next_due_date <= ${today}::date
       order by s.tenant_id, s.id
       limit ${limit}
       for update of s skip locked
    ),
    moved as (
      update client_services s
         set status = 'cancelled', suspend_reason = null, suspend_note = null, suspended_on = null,
             pending_action = 'terminate', pending_since = now(), updated_at = now()
        from due d
       where s.tenant_id = d.tenant_id and s.id = d.id
      returning s.tenant_id, s.id, s.client_id, s.module,
                'cancelled by the client at the end of its period: ' || coalesce(s.cancel_reason, '') as reason
    ),
    ${requestEventsOfMoved('billing.service.terminate_requested.v1')}
    select (select count(*) from due)::int as selected, (select count(*) from events)::int as moved`,
  );
}

/**
 * Lifts, in one statement, suspensions for non-payment that have nothing overdue any more (paid while the
 * suspension was being taken, or the invoice cancelled by staff): active again, with
 * `billing.service.unsuspend_requested.v1`. Payment normally does this itself; this catches the races.
 */
export function unsuspendSettledBatch(tx: Tx, scope: TenantScope, today: string, limit: number) {
  return runStep(
    tx,
    sql`
    with due as (
      select s.tenant_id, s.id from client_services s
       where ${tenantIs(scope, sql`s.tenant_id`)} and s.status = 'suspended' and s.suspend_reason = 'overdue'
         and not exists (
           select 1 from service_renewals r join invoices i on i.tenant_id = r.tenant_id and i.id = r.invoice_id
            where r.tenant_id = s.tenant_id and r.service_id = s.id
              and i.status in ('unpaid', 'partially_paid') and i.due_date <= ${today}::date)
       order by s.tenant_id, s.id
       limit ${limit}
       for update of s skip locked
    ),
    moved as (
      update client_services s
         set status = 'active', suspend_reason = null, suspend_note = null, suspended_on = null,
             pending_action = 'unsuspend', pending_since = now(), updated_at = now()
        from due d
       where s.tenant_id = d.tenant_id and s.id = d.id and s.status = 'suspended' and s.suspend_reason = 'overdue'
      returning s.tenant_id, s.id, s.client_id, s.module, 'nothing overdue any more' as reason
    ),
    ${requestEventsOfMoved('billing.service.unsuspend_requested.v1')}
    select (select count(*) from due)::int as selected, (select count(*) from events)::int as moved`,
  );
}

/**
 * Adds the tenant's late fee, in one statement, to a bounded batch of renewal invoices still unpaid
 * `late_fee_after_days` after their due date: the (invoice, 'late_fee') step claimed once, a 'Late fee'
 * line appended (untaxed) and the invoice's subtotal and total raised by it. A percentage is of the
 * invoice's total, rounded half-up in minor units.
 */
export function lateFeeBatch(tx: Tx, scope: TenantScope, today: string, limit: number) {
  return runStep(
    tx,
    sql`
    with due as (
      select i.tenant_id, i.id, r.service_id,
             case when b.late_fee_kind = 'fixed' then b.late_fee_value
                  else (i.total * b.late_fee_value + 5000) / 10000 end as fee
        from invoices i
        join service_renewals r on r.tenant_id = i.tenant_id and r.invoice_id = i.id
        join billing_settings b on b.tenant_id = i.tenant_id
       where ${tenantIs(scope, sql`i.tenant_id`)} and i.status in ('unpaid', 'partially_paid')
         and b.late_fee_kind is not null and i.due_date + b.late_fee_after_days <= ${today}::date
         and (b.late_fee_kind = 'percent' or b.late_fee_currency = i.currency)
         and not exists (select 1 from dunning_steps d
                          where d.tenant_id = i.tenant_id and d.invoice_id = i.id and d.step = 'late_fee')
       order by i.tenant_id, i.id
       limit ${limit}
       for update of i skip locked
    ),
    steps as (
      insert into dunning_steps (tenant_id, invoice_id, step, service_id, taken_on)
      select tenant_id, id, 'late_fee', service_id, ${today}::date from due where fee > 0
      on conflict do nothing
      returning tenant_id, invoice_id
    ),
    fees as (
      select d.* from due d join steps t on t.tenant_id = d.tenant_id and t.invoice_id = d.id
    ),
    lns as (
      insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, unit_price, setup_fee,
                                 discount, amount, tax, total, service_id, late_fee)
      select f.tenant_id, f.id,
             (select coalesce(max(l.position), 0) + 1 from invoice_lines l
               where l.tenant_id = f.tenant_id and l.invoice_id = f.id),
             'Late fee', 1, f.fee, 0, 0, f.fee, 0, f.fee, f.service_id, true
        from fees f
      returning invoice_id
    ),
    raised as (
      update invoices i set subtotal = i.subtotal + f.fee, total = i.total + f.fee
        from fees f
       where i.tenant_id = f.tenant_id and i.id = f.id
      returning i.tenant_id, i.id, i.number, i.client_id, i.currency, i.total, i.due_date, f.fee
    ),
    events as (
      insert into outbox (id, tenant_id, type, envelope)
      select e.event_id, e.tenant_id, 'billing.invoice.late_fee_applied.v1', ${eventEnvelope(
        'billing.invoice.late_fee_applied.v1',
        sql`jsonb_build_object('invoiceId', e.id, 'number', e.number, 'clientId', e.client_id,
                               'currency', e.currency, 'fee', e.fee, 'total', e.total,
                               'dueDate', e.due_date::text)`,
      )}
        from (select r.*, billing_uuidv7() as event_id from raised r) e
      returning id
    )
    select (select count(*) from due)::int as selected, (select count(*) from events)::int as moved`,
  );
}

/**
 * Payment reminders, in one statement over a bounded batch of open (numbered) invoices: for each, the
 * latest of its tenant's reminder days (relative to the due date; negative: before it) that came within
 * the last two days (a job that missed a day catches up; a reminder weeks late, or one whose day passed
 * before the invoice existed, is not sent); its (invoice, 'reminder:<day>') step claimed once (ON CONFLICT
 * DO NOTHING), and `billing.invoice.reminder_due.v1` written to the outbox in the same statement.
 */
export function reminderBatch(tx: Tx, scope: TenantScope, today: string, limit: number) {
  return runStep(
    tx,
    sql`
    with cand as (
      select i.tenant_id, i.id, i.number, i.client_id, i.currency, i.total - i.amount_paid as balance, i.due_date,
             (select max(x) from unnest(coalesce(b.reminder_days, '{-3,1,7}'::int[])) x
               where i.due_date + x between ${today}::date - 2 and ${today}::date) as offset_days
        from invoices i
        left join billing_settings b on b.tenant_id = i.tenant_id
       where ${tenantIs(scope, sql`i.tenant_id`)} and i.status in ('unpaid', 'partially_paid')
         and i.number is not null and i.due_date between ${today}::date - 367 and ${today}::date + 60
    ),
    due as (
      select c.* from cand c
       where c.offset_days is not null
         and not exists (select 1 from dunning_steps d
                          where d.tenant_id = c.tenant_id and d.invoice_id = c.id
                            and d.step = 'reminder:' || c.offset_days)
       order by c.tenant_id, c.id
       limit ${limit}
    ),
    steps as (
      insert into dunning_steps (tenant_id, invoice_id, step, service_id, taken_on)
      select tenant_id, id, 'reminder:' || offset_days, null, ${today}::date from due
      on conflict do nothing
      returning tenant_id, invoice_id
    ),
    events as (
      insert into outbox (id, tenant_id, type, envelope)
      select e.event_id, e.tenant_id, 'billing.invoice.reminder_due.v1', ${eventEnvelope(
        'billing.invoice.reminder_due.v1',
        sql`jsonb_build_object('invoiceId', e.id, 'number', e.number, 'clientId', e.client_id,
                               'currency', e.currency, 'balance', e.balance, 'dueDate', e.due_date::text,
                               'offsetDays', e.offset_days)`,
      )}
        from (select d.*, billing_uuidv7() as event_id
                from due d join steps t on t.tenant_id = d.tenant_id and t.invoice_id = d.id) e
      returning id
    )
    select (select count(*) from due)::int as selected, (select count(*) from events)::int as moved`,
  );
}
