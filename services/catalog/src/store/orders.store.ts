import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export async function recordPlacedOrder(
  tx: Tx,
  scope: TenantScope,
  o: { orderId: string; clientId: string; placedAt: string },
): Promise<void> {
  await tx.execute(sql`
    insert into placed_orders (tenant_id, order_id, client_id, placed_at)
    values (${writeTenant(scope)}, ${o.orderId}, ${o.clientId}, ${o.placedAt}) on conflict do nothing`);
}

/** A new client has no order placed yet (as far as billing's events told us). */
export async function clientHasOrders(tx: Tx, scope: TenantScope, clientId: string): Promise<boolean> {
  const r = await rows<{ one: number }>(
    tx,
    sql`select 1 as one from placed_orders where ${tenantIs(scope)} and client_id = ${clientId} limit 1`,
  );
  return r.length > 0;
}
