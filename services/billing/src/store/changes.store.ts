import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { type ServicePlan } from '../domain/order-plan';
import { iso, json, tenantIs, writeTenant } from './sql';

export type ChangeStatus = 'pending' | 'applied' | 'cancelled';

/** A change of package of a client service, with its proration (amounts in the service's currency). */
export interface ServiceChange {
  id: string;
  tenantId: string;
  serviceId: string;
  clientId: string;
  fromProductId: string;
  toProductId: string;
  productName: string;
  productType: ServicePlan['productType'];
  module: ServicePlan['module'];
  moduleConfig: Record<string, unknown>;
  cycle: ServicePlan['cycle'];
  currency: string;
  oldAmount: Minor;
  newAmount: Minor;
  periodStart: string;
  periodEnd: string;
  changeDate: string;
  credit: Minor;
  charge: Minor;
  invoiceId: string | null;
  status: ChangeStatus;
  createdAt: string;
  appliedAt: string | null;
  /** When provisioning reported the change done on the panel; null while only requested. */
  inPlaceAt?: string | null;
  /** The panel package it is on since then. */
  panelPackage?: string | null;
  /**
   * What the change's quote line said only our services see: the platform's product a resold product is
   * (null: the tenant's own) and the wholesale owed to the platform per unit and cycle (null: nothing owed).
   * Undefined for a change recorded before billing kept them (migration 0035).
   */
  line?: ChangeLineDetails;
}

export interface ChangeLineDetails {
  platformProductId: string | null;
  wholesale: { price: Minor; setupFee: Minor } | null;
}

interface Row {
  id: string;
  tenant_id: string;
  service_id: string;
  client_id: string;
  from_product_id: string;
  to_product_id: string;
  product_name: string;
  product_type: ServicePlan['productType'];
  module: ServicePlan['module'];
  module_config: Record<string, unknown>;
  cycle: ServicePlan['cycle'];
  currency: string;
  old_amount: string;
  new_amount: string;
  period_start: string;
  period_end: string;
  change_date: string;
  credit: string;
  charge: string;
  invoice_id: string | null;
  status: ChangeStatus;
  created_at: Date;
  applied_at: Date | null;
  in_place_at: Date | null;
  panel_package: string | null;
  platform_product_id: string | null;
  wholesale_price: string | null;
  wholesale_setup_fee: string | null;
  line_details: boolean;
}

const toChange = (r: Row): ServiceChange => ({
  id: r.id,
  tenantId: r.tenant_id,
  serviceId: r.service_id,
  clientId: r.client_id,
  fromProductId: r.from_product_id,
  toProductId: r.to_product_id,
  productName: r.product_name,
  productType: r.product_type,
  module: r.module,
  moduleConfig: r.module_config,
  cycle: r.cycle,
  currency: r.currency,
  oldAmount: fromDbMinor(r.old_amount),
  newAmount: fromDbMinor(r.new_amount),
  periodStart: r.period_start,
  periodEnd: r.period_end,
  changeDate: r.change_date,
  credit: fromDbMinor(r.credit),
  charge: fromDbMinor(r.charge),
  invoiceId: r.invoice_id,
  status: r.status,
  createdAt: iso(r.created_at),
  appliedAt: r.applied_at ? iso(r.applied_at) : null,
  inPlaceAt: r.in_place_at ? iso(r.in_place_at) : null,
  panelPackage: r.panel_package,
  ...(r.line_details
    ? {
        line: {
          platformProductId: r.platform_product_id,
          wholesale:
            r.wholesale_price === null || r.wholesale_setup_fee === null
              ? null
              : { price: fromDbMinor(r.wholesale_price), setupFee: fromDbMinor(r.wholesale_setup_fee) },
        },
      }
    : {}),
});

const SELECT = sql`select c.*, c.period_start::text as period_start, c.period_end::text as period_end,
                          c.change_date::text as change_date, c.old_amount::text as old_amount,
                          c.new_amount::text as new_amount, c.credit::text as credit, c.charge::text as charge,
                          c.wholesale_price::text as wholesale_price,
                          c.wholesale_setup_fee::text as wholesale_setup_fee
                     from service_changes c`;

export async function insertChange(
  tx: Tx,
  scope: TenantScope,
  c: Omit<ServiceChange, 'tenantId' | 'createdAt' | 'appliedAt'> & { requestedBy: string },
): Promise<void> {
  const w = c.line?.wholesale;
  await tx.execute(sql`
    insert into service_changes (id, tenant_id, service_id, client_id, from_product_id, to_product_id, product_name,
                                 product_type, module, module_config, cycle, currency, old_amount, new_amount,
                                 period_start, period_end, change_date, credit, charge, invoice_id, status,
                                 requested_by, applied_at, line_details, platform_product_id, wholesale_price,
                                 wholesale_setup_fee)
    values (${c.id}, ${writeTenant(scope)}, ${c.serviceId}, ${c.clientId}, ${c.fromProductId}, ${c.toProductId},
            ${c.productName}, ${c.productType}, ${c.module}, ${json(c.moduleConfig)}, ${c.cycle}, ${c.currency},
            ${c.oldAmount.toString()}::bigint, ${c.newAmount.toString()}::bigint, ${c.periodStart}::date,
            ${c.periodEnd}::date, ${c.changeDate}::date, ${c.credit.toString()}::bigint,
            ${c.charge.toString()}::bigint, ${c.invoiceId}, ${c.status}, ${c.requestedBy},
            case when ${c.status} = 'applied' then now() end, ${c.line !== undefined},
            ${c.line?.platformProductId ?? null}, ${w ? w.price.toString() : null}::bigint,
            ${w ? w.setupFee.toString() : null}::bigint)`);
}

export async function findChange(tx: Tx, scope: TenantScope, id: string): Promise<ServiceChange | null> {
  const [r] = await rows<Row>(tx, sql`${SELECT} where ${tenantIs(scope, sql`c.tenant_id`)} and c.id = ${id}`);
  return r ? toChange(r) : null;
}

/** The pending change a (manual) invoice pays for, locked; null when it pays for none. */
export async function pendingChangeOfInvoice(
  tx: Tx,
  scope: TenantScope,
  invoiceId: string,
): Promise<ServiceChange | null> {
  const [r] = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`c.tenant_id`)} and c.invoice_id = ${invoiceId}
          and c.status = 'pending' for update of c`,
  );
  return r ? toChange(r) : null;
}

export async function hasPendingChange(tx: Tx, scope: TenantScope, serviceId: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`select id from service_changes where ${tenantIs(scope)} and service_id = ${serviceId} and status = 'pending'`,
  );
  return r.length > 0;
}

/**
 * Applies a change to its service (product, module and its config, recurring amount), unless the service
 * is over; marks the change applied. False when the change was not pending (applied once).
 */
export async function applyChange(tx: Tx, scope: TenantScope, c: ServiceChange): Promise<boolean> {
  const marked = await rows<{ id: string }>(
    tx,
    sql`update service_changes set status = 'applied', applied_at = now()
         where ${tenantIs(scope)} and id = ${c.id} and status = 'pending' returning id`,
  );
  if (marked.length === 0) return false;
  await applyToService(tx, scope, c);
  return true;
}

/**
 * The service takes the change's product, module config, recurring amount and the platform's product it
 * resells (null: the tenant's own; kept as it was for a change from before billing recorded it), unless
 * the service is over.
 */
export async function applyToService(tx: Tx, scope: TenantScope, c: ServiceChange): Promise<void> {
  const platformProductId = c.line ? sql`${c.line.platformProductId}::uuid` : sql`platform_product_id`;
  await tx.execute(sql`
    update client_services
       set product_id = ${c.toProductId}, product_name = ${c.productName}, product_type = ${c.productType},
           platform_product_id = ${platformProductId},
           module = ${c.module}, module_config = ${json(c.moduleConfig)},
           recurring_amount = ${c.newAmount.toString()}::bigint, updated_at = now()
     where ${tenantIs(scope)} and id = ${c.serviceId} and status not in ('terminated', 'cancelled')`);
}

/**
 * Withdraws the service's pending change whose invoice nothing was paid on: the invoice is cancelled and
 * the change never happens. False when there is a pending change that was paid in part (it stays).
 */
export async function withdrawUnpaidChange(tx: Tx, scope: TenantScope, serviceId: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`with c as (
          update service_changes c set status = 'cancelled'
            from invoices i
           where ${tenantIs(scope, sql`c.tenant_id`)} and c.service_id = ${serviceId} and c.status = 'pending'
             and i.tenant_id = c.tenant_id and i.id = c.invoice_id and i.status = 'unpaid'
          returning c.invoice_id
        )
        update invoices i set status = 'cancelled' from c
         where i.tenant_id = ${writeTenant(scope)} and i.id = c.invoice_id and i.status = 'unpaid'
        returning i.id`,
  );
  return r.length > 0 || !(await hasPendingChange(tx, scope, serviceId));
}

/** A service's changes, newest first (the client's own only when `clientId` is given). */
export async function listChanges(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
  clientId?: string,
): Promise<ServiceChange[]> {
  const rs = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`c.tenant_id`)} and c.service_id = ${serviceId}
          and ${clientId === undefined ? sql`true` : sql`c.client_id = ${clientId}`}
        order by c.id desc limit 100`,
  );
  return rs.map(toChange);
}

/**
 * Provisioning reports a change of package done on the panel: the applied change is in place (once).
 * 'missing' when the tenant has no such change of that service; 'ignored' when it was already in place or
 * is not an applied change (a result that repeats or comes out of order changes nothing).
 */
export async function markChangeInPlace(
  tx: Tx,
  scope: TenantScope,
  c: { changeId: string; serviceId: string; panelPackage: string | null },
): Promise<'in_place' | 'ignored' | 'missing'> {
  const marked = await rows<{ id: string }>(
    tx,
    sql`update service_changes set in_place_at = now(), panel_package = ${c.panelPackage}
         where ${tenantIs(scope)} and id = ${c.changeId} and service_id = ${c.serviceId}
           and status = 'applied' and in_place_at is null
        returning id`,
  );
  if (marked.length > 0) return 'in_place';
  const found = await rows<{ id: string }>(
    tx,
    sql`select id from service_changes
         where ${tenantIs(scope)} and id = ${c.changeId} and service_id = ${c.serviceId}`,
  );
  return found.length > 0 ? 'ignored' : 'missing';
}
