import { type FillStrategy, type PanelModule } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Server, toServer } from './servers.store';
import { iso, tenantIs, writeTenant } from './sql';

export interface Placement {
  tenantId: string;
  productId: string;
  groupId: string;
  updatedAt: string;
}

interface PlacementRow {
  tenant_id: string;
  product_id: string;
  group_id: string;
  updated_at: Date;
}

const toPlacement = (r: PlacementRow): Placement => ({
  tenantId: r.tenant_id,
  productId: r.product_id,
  groupId: r.group_id,
  updatedAt: iso(r.updated_at),
});

export async function upsertPlacement(
  tx: Tx,
  scope: TenantScope,
  productId: string,
  groupId: string,
): Promise<Placement> {
  const [r] = await rows<PlacementRow>(
    tx,
    sql`insert into placements (tenant_id, product_id, group_id) values (${writeTenant(scope)}, ${productId}, ${groupId})
        on conflict (tenant_id, product_id) do update set group_id = excluded.group_id, updated_at = now()
        returning *`,
  );
  return toPlacement(r!);
}

export async function listPlacements(tx: Tx, scope: TenantScope): Promise<Placement[]> {
  const rs = await rows<PlacementRow>(
    tx,
    sql`select * from placements where ${tenantIs(scope)} order by tenant_id, product_id`,
  );
  return rs.map(toPlacement);
}

export async function deletePlacement(tx: Tx, scope: TenantScope, productId: string): Promise<boolean> {
  const gone = await rows<{ product_id: string }>(
    tx,
    sql`delete from placements where ${tenantIs(scope)} and product_id = ${productId} returning product_id`,
  );
  return gone.length > 0;
}

export interface Candidates {
  strategy: FillStrategy;
  /** Enabled servers of the module, in the group's order, each with its live accounts (every tenant's). */
  servers: (Server & { accounts: number })[];
}

/**
 * THE cross-tenant read of placement, for the job runner only (run with `withTenant(allTenants, …)` and in
 * the transaction that then inserts the account). The servers an account of `tenantId`'s product may go
 * to: the group the tenant placed the product in; else the group the platform placed it in (a resold
 * platform product); else any server of the tenant's own. The candidate rows are locked (FOR UPDATE) so
 * two runners never both take a server's last free slot.
 *
 * A resold product comes under two ids: `productId`, the reseller's alias (what its clients see), and
 * `platformProductId`, the platform's id of it. The tenant's own placements may name either; the
 * platform's placements name its own id only (an alias means nothing in the platform's tenant). Without a
 * `platformProductId` (the tenant's own product, or an event from before aliases) both use `productId`.
 */
export async function lockCandidateServers(
  tx: Tx,
  tenantId: string,
  platformTenantId: string,
  productId: string,
  module: PanelModule,
  platformProductId?: string,
): Promise<Candidates> {
  const platformId = platformProductId ?? productId;
  const [placed] = await rows<{ tenant_id: string; group_id: string; fill_strategy: FillStrategy }>(
    tx,
    sql`select p.tenant_id, p.group_id, g.fill_strategy from placements p
          join server_groups g on g.tenant_id = p.tenant_id and g.id = p.group_id
        where (p.tenant_id = ${tenantId} and p.product_id in (${productId}, ${platformId}))
           or (p.tenant_id = ${platformTenantId} and p.product_id = ${platformId})
        order by (p.tenant_id = ${tenantId}) desc, (p.product_id = ${productId}) desc limit 1`,
  );
  const servers = await rows<Parameters<typeof toServer>[0] & { accounts: number }>(
    tx,
    sql`select s.id, s.tenant_id, s.group_id, s.name, s.module, s.hostname, s.port, s.tls, s.ip_address, s.nameservers,
               s.max_accounts, s.enabled, s.sort_order, s.created_at, s.updated_at,
               (select count(*)::int from accounts a where a.server_id = s.id and a.status <> 'terminated') as accounts
        from servers s
        where s.enabled and s.module = ${module}
          and ${placed ? sql`s.tenant_id = ${placed.tenant_id} and s.group_id = ${placed.group_id}` : sql`s.tenant_id = ${tenantId}`}
        order by s.sort_order, s.name, s.id
        for update of s`,
  );
  return {
    strategy: placed?.fill_strategy ?? 'least_accounts',
    servers: servers.map((r) => ({ ...toServer(r), accounts: r.accounts })),
  };
}

/**
 * The user names held on a server, whoever's (read under the server's row lock), that a candidate of `base` could collide with (every candidate below
 * 10 000 starts with the base's first four characters): one read, instead of one query per candidate.
 */
export async function usernamesLike(tx: Tx, serverId: string, base: string): Promise<Set<string>> {
  // Bases are lower-case letters and digits only: nothing in them is a LIKE wildcard.
  const prefix = `${base.slice(0, 4)}%`;
  const r = await rows<{ username: string }>(
    tx,
    sql`select username from accounts where server_id = ${serverId} and username like ${prefix}`,
  );
  return new Set(r.map((x) => x.username));
}
