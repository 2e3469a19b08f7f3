import { type ClientServiceStatus } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { type AddonPlan, type ServicePlan } from '../domain/order-plan';
import { clientIs, iso, json, tenantIs, writeTenant } from './sql';

export type ServiceStatus = ClientServiceStatus;

export interface ClientService extends Omit<ServicePlan, 'recurringAmount' | 'addons'> {
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
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  client_id: string;
  order_id: string;
  product_id: string;
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
  registration_date: string;
  next_due_date: string | null;
  status: ServiceStatus;
  username: string | null;
  host: string | null;
  last_error: string | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = sql`select s.*, s.registration_date::text as registration_date, s.next_due_date::text as next_due_date
                     from client_services s`;

const toService = (r: Row): ClientService => ({
  id: r.id,
  tenantId: r.tenant_id,
  clientId: r.client_id,
  orderId: r.order_id,
  productId: r.product_id,
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
  registrationDate: r.registration_date,
  nextDueDate: r.next_due_date,
  status: r.status,
  username: r.username,
  host: r.host,
  lastError: r.last_error,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export async function insertService(
  tx: Tx,
  scope: TenantScope,
  s: ServicePlan & { id: string; clientId: string; orderId: string; currency: string },
): Promise<void> {
  await tx.execute(sql`
    insert into client_services (id, tenant_id, client_id, order_id, product_id, product_name, product_type, module,
                                 module_config, domain, cycle, quantity, currency, recurring_amount,
                                 registration_date, next_due_date, status, addons)
    values (${s.id}, ${writeTenant(scope)}, ${s.clientId}, ${s.orderId}, ${s.productId}, ${s.productName},
            ${s.productType}, ${s.module}, ${json(s.moduleConfig)}, ${s.domain}, ${s.cycle}, ${s.quantity},
            ${s.currency}, ${s.recurringAmount.toString()}::bigint, ${s.registrationDate}::date,
            ${s.nextDueDate}::date, 'pending',
            ${json(s.addons.map((a) => ({ ...a, recurringAmount: a.recurringAmount.toString() })))})`);
}

export async function findService(
  tx: Tx,
  scope: TenantScope,
  id: string,
  clientId?: string,
): Promise<ClientService | null> {
  const [r] = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`s.tenant_id`)} and ${clientIs(clientId, sql`s.client_id`)}
        and s.id = ${id}`,
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
 * twice changes nothing). 'missing' when the tenant has no such service.
 */
export async function transitionService(
  tx: Tx,
  scope: TenantScope,
  id: string,
  from: readonly ServiceStatus[],
  to: ServiceStatus,
  extra: { username?: string; host?: string; lastError?: string | null } = {},
): Promise<'moved' | 'ignored' | 'missing'> {
  const moved = await rows<{ id: string }>(
    tx,
    sql`update client_services set status = ${to}, updated_at = now(),
          username = coalesce(${extra.username ?? null}, username), host = coalesce(${extra.host ?? null}, host),
          last_error = ${extra.lastError === undefined ? sql`last_error` : extra.lastError}
        where ${tenantIs(scope)} and id = ${id} and status in (${sql.join(
          from.map((f) => sql`${f}`),
          sql`, `,
        )}) returning id`,
  );
  if (moved.length > 0) return 'moved';
  const exists = await rows<{ id: string }>(
    tx,
    sql`select id from client_services where ${tenantIs(scope)} and id = ${id}`,
  );
  return exists.length > 0 ? 'ignored' : 'missing';
}
