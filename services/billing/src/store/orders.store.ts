import { type QuoteSnapshot } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { clientIs, iso, json, tenantIs, writeTenant } from './sql';

export type OrderStatus = 'pending' | 'active' | 'cancelled';

export interface Order {
  id: string;
  tenantId: string;
  clientId: string;
  status: OrderStatus;
  currency: string;
  total: Minor;
  promotion: { id: string; code: string } | null;
  invoiceId: string;
  serviceIds: string[];
  snapshot: QuoteSnapshot;
  createdAt: string;
  cancelledAt: string | null;
}

interface Row {
  id: string;
  tenant_id: string;
  client_id: string;
  status: OrderStatus;
  currency: string;
  total: string;
  promotion_id: string | null;
  promotion_code: string | null;
  snapshot: QuoteSnapshot;
  created_at: Date;
  cancelled_at: Date | null;
  invoice_id: string;
  service_ids: string[] | null;
}

const SELECT = sql`
  select o.*,
         (select i.id from invoices i where i.tenant_id = o.tenant_id and i.order_id = o.id and i.reason = 'order')
           as invoice_id,
         (select array_agg(s.id order by s.id) from client_services s
           where s.tenant_id = o.tenant_id and s.order_id = o.id) as service_ids
    from orders o`;

const toOrder = (r: Row): Order => ({
  id: r.id,
  tenantId: r.tenant_id,
  clientId: r.client_id,
  status: r.status,
  currency: r.currency,
  total: fromDbMinor(r.total),
  promotion: r.promotion_id && r.promotion_code ? { id: r.promotion_id, code: r.promotion_code } : null,
  invoiceId: r.invoice_id,
  serviceIds: r.service_ids ?? [],
  snapshot: r.snapshot,
  createdAt: iso(r.created_at),
  cancelledAt: r.cancelled_at ? iso(r.cancelled_at) : null,
});

export async function insertOrder(
  tx: Tx,
  scope: TenantScope,
  o: {
    id: string;
    clientId: string;
    currency: string;
    total: Minor;
    snapshot: QuoteSnapshot;
    placedBy: string;
  },
): Promise<void> {
  await tx.execute(sql`
    insert into orders (id, tenant_id, client_id, status, currency, total, promotion_id, promotion_code, snapshot,
                        placed_by)
    values (${o.id}, ${writeTenant(scope)}, ${o.clientId}, 'pending', ${o.currency}, ${o.total.toString()}::bigint,
            ${o.snapshot.promotion?.id ?? null}, ${o.snapshot.promotion?.code ?? null}, ${json(o.snapshot)},
            ${o.placedBy})`);
}

export async function findOrder(
  tx: Tx,
  scope: TenantScope,
  id: string,
  clientId?: string,
  lock = false,
): Promise<Order | null> {
  if (lock)
    await tx.execute(
      sql`select id from orders where ${tenantIs(scope)} and ${clientIs(clientId)} and id = ${id} for update`,
    );
  const [r] = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`o.tenant_id`)} and ${clientIs(clientId, sql`o.client_id`)}
        and o.id = ${id}`,
  );
  return r ? toOrder(r) : null;
}

export async function listOrders(tx: Tx, scope: TenantScope, clientId?: string): Promise<Order[]> {
  const rs = await rows<Row>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`o.tenant_id`)} and ${clientIs(clientId, sql`o.client_id`)}
        order by o.id desc limit 500`,
  );
  return rs.map(toOrder);
}

/** Moves an order from one status to another; false when it was not in `from`. */
export async function setOrderStatus(
  tx: Tx,
  scope: TenantScope,
  id: string,
  from: OrderStatus,
  to: OrderStatus,
): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update orders set status = ${to}, cancelled_at = case when ${to} = 'cancelled' then now() else cancelled_at end
        where ${tenantIs(scope)} and id = ${id} and status = ${from} returning id`,
  );
  return r.length > 0;
}

/**
 * A paid order's acceptance, in one statement: the order moves from pending to active (`accepted`: false
 * when it was not pending), and its client's contact is read for the requests that follow (null when
 * billing does not know the client).
 */
export async function acceptOrder(
  tx: Tx,
  scope: TenantScope,
  id: string,
  clientId: string,
): Promise<{
  accepted: boolean;
  client: { id: string; email: string; name: string; currency: string } | null;
}> {
  const [r] = await rows<{
    accepted: number;
    id: string | null;
    email: string;
    name: string;
    currency: string;
  }>(
    tx,
    sql`with accepted as (
          update orders set status = 'active'
           where ${tenantIs(scope)} and id = ${id} and status = 'pending' returning id
        )
        select (select count(*)::int from accepted) as accepted, c.id, c.email, c.name, c.currency
          from (select 1) as one
          left join clients c on ${tenantIs(scope, sql`c.tenant_id`)} and c.id = ${clientId}`,
  );
  return {
    accepted: (r?.accepted ?? 0) > 0,
    client: r?.id ? { id: r.id, email: r.email, name: r.name, currency: r.currency } : null,
  };
}

/**
 * Pending orders whose unpaid first invoice has outlived their tenant's order expiry (run for all tenants
 * by the expiry job), oldest first, a bounded batch.
 */
export async function expiredOrders(tx: Tx, scope: TenantScope, limit = 100) {
  const r = await rows<{ tenant_id: string; id: string }>(
    tx,
    sql`select o.tenant_id, o.id from orders o
          join billing_settings s on s.tenant_id = o.tenant_id
          join invoices i on i.tenant_id = o.tenant_id and i.order_id = o.id and i.reason = 'order'
         where ${tenantIs(scope, sql`o.tenant_id`)} and o.status = 'pending' and i.status = 'unpaid'
           and s.order_expiry_days is not null
           and o.created_at < now() - make_interval(days => s.order_expiry_days)
         order by o.created_at limit ${limit}`,
  );
  return r.map((x) => ({ tenantId: x.tenant_id, orderId: x.id }));
}
