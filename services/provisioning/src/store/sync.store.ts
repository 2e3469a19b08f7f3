import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs } from './sql';

export type Drift = 'missing_on_panel' | 'suspended_on_panel' | 'active_on_panel' | 'other_package_on_panel';

export interface SyncTarget {
  id: string;
  tenantId: string;
  serverId: string;
  username: string;
  domain: string | null;
  /** The panel package its product names (null: none recorded). */
  package: string | null;
  status: 'active' | 'suspended';
}

/**
 * THE cross-tenant read of the state sync (run with `withTenant(allTenants, …)`): for every server, the
 * `perServer` live accounts compared longest ago (never-compared first) — a bounded batch per server,
 * never all accounts at once.
 */
export async function dueForSync(tx: Tx, perServer: number): Promise<SyncTarget[]> {
  return rows<SyncTarget>(
    tx,
    sql`select id, tenant_id as "tenantId", server_id as "serverId", username, domain, package, status from (
          select a.*, row_number() over (partition by server_id order by synced_at nulls first, id) as n
          from accounts a
          where status in ('active', 'suspended') and server_id is not null and username is not null
        ) ranked
        where n <= ${perServer}
        order by server_id, n`,
  );
}

export async function recordSync(tx: Tx, scope: TenantScope, id: string, drift: Drift | null): Promise<void> {
  await tx.execute(
    sql`update accounts set synced_at = now(), drift = ${drift} where ${tenantIs(scope)} and id = ${id}`,
  );
}
