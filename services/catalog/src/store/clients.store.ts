import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

/** A client identity announced in this tenant (a duplicate announcement changes nothing). */
export async function recordClient(
  tx: Tx,
  scope: TenantScope,
  c: { clientId: string; createdAt: string },
): Promise<void> {
  await tx.execute(sql`
    insert into clients (tenant_id, client_id, created_at)
    values (${writeTenant(scope)}, ${c.clientId}, ${c.createdAt}) on conflict do nothing`);
}

/** Whether the client is one of this tenant's (as identity's events told us). */
export async function isClientOf(tx: Tx, scope: TenantScope, clientId: string): Promise<boolean> {
  const r = await rows<{ one: number }>(
    tx,
    sql`select 1 as one from clients where ${tenantIs(scope)} and client_id = ${clientId}`,
  );
  return r.length > 0;
}
