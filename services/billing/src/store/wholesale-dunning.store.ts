import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { rows, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { requestEventsOfMoved } from './dunning.store';

/**
 * Platform policy 'suspend': in one statement (all tenants), every active service a reseller resells (it has
 * a wholesale charge) is suspended while one of the reseller's wholesale invoices is unpaid `days` past its
 * due date — once per (service, invoice), so a suspension staff lifted by hand is not taken again for the
 * same invoice — with `billing.service.suspend_requested.v1` in the outbox. To the client it is a staff
 * suspension (white-label). Returns how many services were suspended.
 */
export async function suspendForUnpaidWholesale(tx: Tx, today: string, days: number): Promise<number> {
  const [r] = await rows<{ moved: number }>(
    tx,
    sql`
    with overdue as materialized (
      select distinct on (i.client_id) i.client_id as reseller_id, i.id as invoice_id, i.number
        from invoices i
       where i.tenant_id = ${PLATFORM_TENANT_ID}::uuid and i.reason = 'wholesale'
         and i.status in ('unpaid', 'partially_paid') and i.due_date + ${days}::int <= ${today}::date
       order by i.client_id, i.due_date
    ),
    due as materialized (
      select s.tenant_id, s.id, o.invoice_id, o.reseller_id
        from overdue o
        join client_services s on s.tenant_id = o.reseller_id and s.status = 'active'
       where exists (select 1 from wholesale_charges c
                      where c.tenant_id = ${PLATFORM_TENANT_ID}::uuid and c.reseller_id = o.reseller_id
                        and c.service_id = s.id)
         and not exists (select 1 from wholesale_suspensions w
                          where w.tenant_id = ${PLATFORM_TENANT_ID}::uuid and w.service_id = s.id
                            and w.invoice_id = o.invoice_id)
       for update of s skip locked
    ),
    taken as (
      insert into wholesale_suspensions (tenant_id, reseller_id, service_id, invoice_id, suspended_on)
      select ${PLATFORM_TENANT_ID}::uuid, reseller_id, id, invoice_id, ${today}::date from due
      on conflict do nothing
      returning service_id
    ),
    moved as (
      update client_services s
         set status = 'suspended', suspend_reason = 'staff', suspended_on = ${today}::date,
             suspend_note = 'suspended by the provider', pending_action = 'suspend', pending_since = now(),
             updated_at = now()
        from taken t
       where s.id = t.service_id and s.status = 'active'
      returning s.tenant_id, s.id, s.client_id, s.module, 'suspended by the provider' as reason
    ),
    ${requestEventsOfMoved('billing.service.suspend_requested.v1')}
    select (select count(*) from events)::int as moved`,
  );
  if (r!.moved > 0) await tx.execute(sql`select pg_notify('geminis_outbox', '')`);
  return r!.moved;
}

/**
 * Lifts, in one statement, the wholesale suspensions of every reseller with no wholesale invoice overdue
 * any more (paid, or staff moved its due date): each service still suspended by it is active again and
 * `billing.service.unsuspend_requested.v1` goes out; a service staff suspended for another reason since is
 * left alone. Returns how many services were unsuspended.
 */
export async function liftPaidWholesaleSuspensions(tx: Tx, today: string, days: number): Promise<number> {
  const [r] = await rows<{ moved: number }>(
    tx,
    sql`
    with lifted as (
      update wholesale_suspensions w set lifted_on = ${today}::date
       where w.tenant_id = ${PLATFORM_TENANT_ID}::uuid and w.lifted_on is null
         and not exists (select 1 from invoices i
                          where i.tenant_id = w.tenant_id and i.client_id = w.reseller_id
                            and i.reason = 'wholesale' and i.status in ('unpaid', 'partially_paid')
                            and i.due_date + ${days}::int <= ${today}::date)
      returning w.service_id
    ),
    moved as (
      update client_services s
         set status = 'active', suspend_reason = null, suspend_note = null, suspended_on = null,
             pending_action = 'unsuspend', pending_since = now(), updated_at = now()
        from (select distinct service_id from lifted) l
       where s.id = l.service_id and s.status = 'suspended' and s.suspend_reason = 'staff'
         and s.suspend_note = 'suspended by the provider'
      returning s.tenant_id, s.id, s.client_id, s.module, 'the provider lifted the suspension' as reason
    ),
    ${requestEventsOfMoved('billing.service.unsuspend_requested.v1')}
    select (select count(*) from events)::int as moved`,
  );
  if (r!.moved > 0) await tx.execute(sql`select pg_notify('geminis_outbox', '')`);
  return r!.moved;
}
