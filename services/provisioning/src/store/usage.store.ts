import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type PanelUsage } from '../modules/panel';
import { isoOrNull, tenantIs } from './sql';

export interface UsageTarget {
  id: string;
  tenantId: string;
  serverId: string;
  username: string;
  domain: string | null;
}

/**
 * THE cross-tenant read of the usage sync (run with `withTenant(allTenants, …)`): for every server, the
 * `perServer` live accounts read longest ago (never-read first) — a bounded batch per server.
 */
export async function dueForUsage(tx: Tx, perServer: number): Promise<UsageTarget[]> {
  return rows<UsageTarget>(
    tx,
    sql`select id, tenant_id as "tenantId", server_id as "serverId", username, domain from (
          select a.*, row_number() over (partition by server_id order by usage_at nulls first, id) as n
          from accounts a
          where status in ('active', 'suspended') and server_id is not null and username is not null
        ) ranked
        where n <= ${perServer}
        order by server_id, n`,
  );
}

export async function recordUsage(tx: Tx, scope: TenantScope, id: string, u: PanelUsage): Promise<void> {
  await tx.execute(
    sql`update accounts set disk_bytes = ${u.diskBytes}, bandwidth_bytes = ${u.bandwidthBytes},
               usage_at = now()
        where ${tenantIs(scope)} and id = ${id}`,
  );
}

export interface AccountUsage {
  diskBytes: number | null;
  bandwidthBytes: number | null;
  measuredAt: string | null;
}

export async function findUsage(tx: Tx, scope: TenantScope, id: string): Promise<AccountUsage | null> {
  const [r] = await rows<{
    disk_bytes: string | null;
    bandwidth_bytes: string | null;
    usage_at: Date | null;
  }>(
    tx,
    sql`select disk_bytes, bandwidth_bytes, usage_at from accounts where ${tenantIs(scope)} and id = ${id}`,
  );
  if (!r) return null;
  return {
    diskBytes: r.disk_bytes === null ? null : Number(r.disk_bytes),
    bandwidthBytes: r.bandwidth_bytes === null ? null : Number(r.bandwidth_bytes),
    measuredAt: isoOrNull(r.usage_at),
  };
}
