import { type FillStrategy } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, tenantIs, writeTenant } from './sql';

export interface ServerGroup {
  id: string;
  tenantId: string;
  name: string;
  fillStrategy: FillStrategy;
  createdAt: string;
}

interface GroupRow {
  id: string;
  tenant_id: string;
  name: string;
  fill_strategy: FillStrategy;
  created_at: Date;
}

const toGroup = (r: GroupRow): ServerGroup => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  fillStrategy: r.fill_strategy,
  createdAt: iso(r.created_at),
});

export async function insertGroup(
  tx: Tx,
  scope: TenantScope,
  g: Pick<ServerGroup, 'id' | 'name' | 'fillStrategy'>,
): Promise<ServerGroup> {
  const [r] = await rows<GroupRow>(
    tx,
    sql`insert into server_groups (id, tenant_id, name, fill_strategy)
        values (${g.id}, ${writeTenant(scope)}, ${g.name}, ${g.fillStrategy}) returning *`,
  );
  return toGroup(r!);
}

export async function updateGroup(
  tx: Tx,
  scope: TenantScope,
  id: string,
  patch: Partial<Pick<ServerGroup, 'name' | 'fillStrategy'>>,
): Promise<ServerGroup | null> {
  const [r] = await rows<GroupRow>(
    tx,
    sql`update server_groups set name = coalesce(${patch.name ?? null}, name),
               fill_strategy = coalesce(${patch.fillStrategy ?? null}, fill_strategy)
        where ${tenantIs(scope)} and id = ${id} returning *`,
  );
  return r ? toGroup(r) : null;
}

export async function findGroup(tx: Tx, scope: TenantScope, id: string): Promise<ServerGroup | null> {
  const [r] = await rows<GroupRow>(
    tx,
    sql`select * from server_groups where ${tenantIs(scope)} and id = ${id}`,
  );
  return r ? toGroup(r) : null;
}

export async function listGroups(tx: Tx, scope: TenantScope): Promise<ServerGroup[]> {
  const rs = await rows<GroupRow>(
    tx,
    sql`select * from server_groups where ${tenantIs(scope)} order by tenant_id, name`,
  );
  return rs.map(toGroup);
}

/** Deletes a group no server is in and no product is placed in; 'in_use' otherwise. */
export async function deleteGroup(
  tx: Tx,
  scope: TenantScope,
  id: string,
): Promise<'deleted' | 'missing' | 'in_use'> {
  const [used] = await rows<{ n: number }>(
    tx,
    sql`select (select count(*) from servers where ${tenantIs(scope)} and group_id = ${id})
             + (select count(*) from placements where ${tenantIs(scope)} and group_id = ${id}) as n`,
  );
  if (used && used.n > 0) return 'in_use';
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from server_groups where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0 ? 'deleted' : 'missing';
}
