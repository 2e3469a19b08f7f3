import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export type HoldStatus = 'holding' | 'placed' | 'releasing' | 'released';

export async function insertHold(tx: Tx, scope: TenantScope, orderId: string, promotionId: string) {
  await tx.execute(sql`
    insert into promotion_holds (tenant_id, order_id, promotion_id, status)
    values (${writeTenant(scope)}, ${orderId}, ${promotionId}, 'holding')`);
}

/** Moves a hold from one of `from` to `to`; false when it was elsewhere. */
export async function moveHold(
  tx: Tx,
  scope: TenantScope,
  orderId: string,
  from: readonly HoldStatus[],
  to: HoldStatus,
  error?: string,
): Promise<boolean> {
  const r = await rows<{ order_id: string }>(
    tx,
    sql`update promotion_holds set status = ${to}, updated_at = now(),
          attempts = attempts + ${error === undefined ? 0 : 1}, last_error = ${error ?? null}
        where ${tenantIs(scope)} and order_id = ${orderId} and status in (${sql.join(
          from.map((f) => sql`${f}`),
          sql`, `,
        )})
        returning order_id`,
  );
  return r.length > 0;
}

/**
 * Holds to release (run for all tenants by the sweep): 'releasing' ones, and 'holding' ones older than
 * `staleMs` (their order never committed). Oldest first, a bounded batch.
 */
export async function dueHolds(tx: Tx, scope: TenantScope, staleMs: number, limit = 100) {
  const r = await rows<{ tenant_id: string; order_id: string }>(
    tx,
    sql`select tenant_id, order_id from promotion_holds
        where ${tenantIs(scope)} and (status = 'releasing'
           or (status = 'holding' and created_at < now() - make_interval(secs => ${staleMs / 1000})))
        order by updated_at limit ${limit}`,
  );
  return r.map((x) => ({ tenantId: x.tenant_id, orderId: x.order_id }));
}
