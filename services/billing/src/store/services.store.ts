import { type ClientServiceStatus } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { type AddonPlan, type ServicePlan } from '../domain/order-plan';
import { clientIs, iso, json, tenantIs, writeTenant } from './sql';

export type ServiceStatus = ClientServiceStatus;

export interface ClientService extends Omit<
  ServicePlan,
  'recurringAmount' | 'addons' | 'domainItem' | 'renewalWholesale'
> {
  addons: AddonPlan[];
  id: string;
  tenantId: string;
  clientId: string;
  orderId: string;
  currency: string;
  recurringAmount: Minor;
  status: ServiceStatus;
  username: string | null;
  host: string | null;
  lastError: string | null;
  /** Why it is suspended (null unless suspended): overdue (lifted by paying), staff, provisioning. */
  suspendReason: SuspendReason | null;
  suspendNote: string | null;
  suspendedOn: string | null;
  /** What billing asked provisioning and has not seen done yet (staff see a request that stays pending). */
  pendingAction: PendingAction | null;
  pendingSince: string | null;
  cancelAt: 'end_of_period' | 'immediate' | null;
  cancelReason: string | null;
  /** Staff exempted it from automatic suspension (and termination) for non-payment. */
  dunningExempt: boolean;
  /** Why staff last set or lifted the exemption. */
  dunningExemptReason: string | null;
  /** For a domain: its registration as ordered and as the registrar answered. */
  registration: {
    action: 'register' | 'transfer';
    years: number;
    registrar: string | null;
    expiresAt: string | null;
  } | null;
  createdAt: string;
  updatedAt: string;
}

export type SuspendReason = 'overdue' | 'staff' | 'provisioning';
export type PendingAction = 'suspend' | 'unsuspend' | 'terminate';

interface Row {
  id: string;
  tenant_id: string;
  client_id: string;
  order_id: string;
  product_id: string | null;
  platform_product_id: string | null;
  product_name: string;
  product_type: ServicePlan['productType'];
  module: ServicePlan['module'];
  module_config: Record<string, unknown>;
  addons: (Omit<AddonPlan, 'recurringAmount'> & { recurringAmount: string })[];
  domain: string | null;
  cycle: ServicePlan['cycle'];
  quantity: number;
  currency: string;
  recurring_amount: string;
  term_months: number | null;
  registration_date: string;
  next_due_date: string | null;
  status: ServiceStatus;
  username: string | null;
  host: string | null;
  last_error: string | null;
  suspend_reason: SuspendReason | null;
  suspend_note: string | null;
  suspended_on: string | null;
  pending_action: PendingAction | null;
  pending_since: Date | null;
  cancel_at: 'end_of_period' | 'immediate' | null;
  cancel_reason: string | null;
  dunning_exempt: boolean;
  dunning_exempt_reason: string | null;
  domain_action: 'register' | 'transfer' | null;
  domain_years: number | null;
  domain_registrar: string | null;
  domain_expires_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = sql`select s.*, s.registration_date::text as registration_date, s.next_due_date::text as next_due_date,
                          s.suspended_on::text as suspended_on, d.action as domain_action,
                          d.years as domain_years, d.registrar as domain_registrar,
                          d.expires_at as domain_expires_at
                     from client_services s
                     left join domain_registrations d on d.tenant_id = s.tenant_id and d.service_id = s.id`;

const toService = (r: Row): ClientService => ({
  id: r.id,
  tenantId: r.tenant_id,
  clientId: r.client_id,
  orderId: r.order_id,
  productId: r.product_id,
  platformProductId: r.platform_product_id,
  productName: r.product_name,
  productType: r.product_type,
  module: r.module,
  moduleConfig: r.module_config,
  addons: r.addons.map((a) => ({ ...a, recurringAmount: fromDbMinor(a.recurringAmount) })),
  domain: r.domain,
  cycle: r.cycle,
  quantity: r.quantity,
  currency: r.currency,
  recurringAmount: fromDbMinor(r.recurring_amount),
  termMonths: r.term_months,
  registrationDate: r.registration_date,
  nextDueDate: r.next_due_date,
  status: r.status,
  username: r.username,
  host: r.host,
  lastError: r.last_error,
  suspendReason: r.suspend_reason,
  suspendNote: r.suspend_note,
  suspendedOn: r.suspended_on,
  pendingAction: r.pending_action,
  pendingSince: r.pending_since ? iso(r.pending_since) : null,
  cancelAt: r.cancel_at,
  cancelReason: r.cancel_reason,
  dunningExempt: r.dunning_exempt,
  dunningExemptReason: r.dunning_exempt_reason,
  registration:
    r.domain_action && r.domain_years
      ? {
          action: r.domain_action,
          years: r.domain_years,
          registrar: r.domain_registrar,
          expiresAt: r.domain_expires_at ? iso(r.domain_expires_at) : null,
        }
      : null,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export async function insertService(
  tx: Tx,
  scope: TenantScope,
  s: ServicePlan & { id: string; clientId: string; orderId: string; currency: string },
): Promise<void> {
  await tx.execute(sql`
    insert into client_services (id, tenant_id, client_id, order_id, product_id, platform_product_id, product_name,
                                 product_type, module, module_config, domain, cycle, quantity, currency,
                                 recurring_amount, registration_date, next_due_date, status, addons, term_months,
                                 renewal_wholesale)
    values (${s.id}, ${writeTenant(scope)}, ${s.clientId}, ${s.orderId}, ${s.productId}, ${s.platformProductId},
            ${s.productName},
            ${s.productType}, ${s.module}, ${json(s.moduleConfig)}, ${s.domain}, ${s.cycle}, ${s.quantity},
            ${s.currency}, ${s.recurringAmount.toString()}::bigint, ${s.registrationDate}::date,
            ${s.nextDueDate}::date, 'pending',
            ${json(s.addons.map((a) => ({ ...a, recurringAmount: a.recurringAmount.toString() })))},
            ${s.termMonths}, ${s.renewalWholesale === null ? null : s.renewalWholesale.toString()}::bigint)`);
}

export async function findService(
  tx: Tx,
  scope: TenantScope,
  id: string,
  clientId?: string,
  lock = false,
): Promise<ClientService | null> {
  const [r] = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`s.tenant_id`)} and ${clientIs(clientId, sql`s.client_id`)}
        and s.id = ${id} ${lock ? sql`for update of s` : sql``}`,
  );
  return r ? toService(r) : null;
}

export async function listServices(tx: Tx, scope: TenantScope, clientId?: string): Promise<ClientService[]> {
  const rs = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`s.tenant_id`)} and ${clientIs(clientId, sql`s.client_id`)}
        order by s.id desc limit 500`,
  );
  return rs.map(toService);
}

/** Moves an order's services that are in `from` to `to`; returns the services moved. */
export async function moveOrderServices(
  tx: Tx,
  scope: TenantScope,
  orderId: string,
  from: ServiceStatus,
  to: ServiceStatus,
): Promise<ClientService[]> {
  const moved = await rows<{ id: string }>(
    tx,
    sql`update client_services set status = ${to}, updated_at = now()
        where ${tenantIs(scope)} and order_id = ${orderId} and status = ${from} returning id`,
  );
  const found = await Promise.all(moved.map((m) => findService(tx, scope, m.id)));
  return found.filter((s): s is ClientService => s !== null).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/**
 * Moves one service to `to` when it is in one of `from` (a conditional UPDATE: an event arriving late or
 * twice changes nothing). 'missing' when the tenant has no such service. Provisioning's results land here:
 * a service found suspended keeps billing's reason (or gets 'provisioning'), any other status has none;
 * a result that does what billing asked clears the pending request.
 */
export async function transitionService(
  tx: Tx,
  scope: TenantScope,
  id: string,
  from: readonly ServiceStatus[],
  to: ServiceStatus,
  extra: { username?: string; host?: string; lastError?: string | null; done?: PendingAction } = {},
): Promise<'moved' | 'ignored' | 'missing'> {
  const moved = await rows<{ id: string }>(
    tx,
    sql`update client_services set status = ${to}, updated_at = now(),
          username = coalesce(${extra.username ?? null}, username), host = coalesce(${extra.host ?? null}, host),
          last_error = ${extra.lastError === undefined ? sql`last_error` : extra.lastError},
          suspend_reason = case when ${to} = 'suspended' then coalesce(suspend_reason, 'provisioning') end,
          suspended_on = case when ${to} = 'suspended' then suspended_on end,
          suspend_note = case when ${to} = 'suspended' then suspend_note end,
          pending_action = case when pending_action = ${extra.done ?? null} then null else pending_action end,
          pending_since = case when pending_action = ${extra.done ?? null} then null else pending_since end
        where ${tenantIs(scope)} and id = ${id} and status in (${sql.join(
          from.map((f) => sql`${f}`),
          sql`, `,
        )})
          -- a result against what billing asked since (suspended after billing asked to unsuspend) is stale
          and (pending_action is null or pending_action = ${extra.done ?? null})
        returning id`,
  );
  if (moved.length > 0) return 'moved';
  // Already there because billing moved it when asking: the result confirms the request.
  if (extra.done) {
    const confirmed = await rows<{ id: string }>(
      tx,
      sql`update client_services set pending_action = null, pending_since = null, updated_at = now()
          where ${tenantIs(scope)} and id = ${id} and status = ${to} and pending_action = ${extra.done}
          returning id`,
    );
    if (confirmed.length > 0) return 'moved';
  }
  const exists = await rows<{ id: string }>(
    tx,
    sql`select id from client_services where ${tenantIs(scope)} and id = ${id}`,
  );
  return exists.length > 0 ? 'ignored' : 'missing';
}

/**
 * Billing acts on a service (suspend, unsuspend, terminate, cancel) when it is in one of `from`: its status
 * moves now, and the request to provisioning is recorded as pending until provisioning's result confirms it.
 * False when the service is not (or no longer) in `from`.
 */
export async function requestServiceAction(
  tx: Tx,
  scope: TenantScope,
  id: string,
  from: readonly ServiceStatus[],
  to: ServiceStatus,
  action: PendingAction,
  suspension?: { reason: SuspendReason; note: string | null; on: string },
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update client_services
           set status = ${to}, suspend_reason = ${suspension?.reason ?? null},
               suspend_note = ${suspension?.note ?? null}, suspended_on = ${suspension?.on ?? null}::date,
               pending_action = ${action}, pending_since = now(), updated_at = now()
         where ${tenantIs(scope)} and id = ${id}
           and status in (${sql.join(
             from.map((f) => sql`${f}`),
             sql`, `,
           )})
        returning id`,
  );
  return r.length > 0;
}

/** A client's cancellation at the end of the period: recorded (no renewal is issued any more). */
export async function requestCancellation(
  tx: Tx,
  scope: TenantScope,
  id: string,
  reason: string,
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update client_services
           set cancel_at = 'end_of_period', cancel_reason = ${reason}, cancel_requested_at = now(), updated_at = now()
         where ${tenantIs(scope)} and id = ${id} and status in ('active', 'suspended') and cancel_at is null
        returning id`,
  );
  return r.length > 0;
}

/** Records an immediate cancellation's reason beside the status change. */
export async function recordImmediateCancellation(tx: Tx, scope: TenantScope, id: string, reason: string) {
  await tx.execute(sql`
    update client_services set cancel_at = 'immediate', cancel_reason = ${reason}, cancel_requested_at = now()
     where ${tenantIs(scope)} and id = ${id}`);
}

/**
 * A paid renewal moves the next due date one cycle on, from the old due date (the period's end), never
 * from the payment date; only from that period's start, so a repeat changes nothing.
 */
export async function advanceDueDate(
  tx: Tx,
  scope: TenantScope,
  id: string,
  periodStart: string,
  periodEnd: string,
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update client_services set next_due_date = ${periodEnd}::date, updated_at = now()
         where ${tenantIs(scope)} and id = ${id} and next_due_date = ${periodStart}::date
        returning id`,
  );
  return r.length > 0;
}

/** Staff exempt a service from automatic suspension for non-payment (or lift the exemption). */
export async function setDunningExempt(
  tx: Tx,
  scope: TenantScope,
  id: string,
  exempt: boolean,
  reason: string,
): Promise<void> {
  await tx.execute(sql`
    update client_services set dunning_exempt = ${exempt}, dunning_exempt_reason = ${reason}, updated_at = now()
     where ${tenantIs(scope)} and id = ${id}`);
}
