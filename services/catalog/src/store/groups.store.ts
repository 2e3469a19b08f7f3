import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export interface ProductGroup {
  id: string;
  tenantId: string;
  name: string;
  description: string;
  sortOrder: number;
  visible: boolean;
}

interface GroupRow {
  id: string;
  tenant_id: string;
  name: string;
  description: string;
  sort_order: number;
  visible: boolean;
}

const toGroup = (r: GroupRow): ProductGroup => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  description: r.description,
  sortOrder: r.sort_order,
  visible: r.visible,
});

export async function insertGroup(tx: Tx, scope: TenantScope, g: Omit<ProductGroup, 'tenantId'>) {
  await tx.execute(sql`
    insert into product_groups (id, tenant_id, name, description, sort_order, visible)
    values (${g.id}, ${writeTenant(scope)}, ${g.name}, ${g.description}, ${g.sortOrder}, ${g.visible})`);
}

export async function updateGroup(
  tx: Tx,
  scope: TenantScope,
  id: string,
  patch: Partial<Pick<ProductGroup, 'name' | 'description' | 'sortOrder' | 'visible'>>,
): Promise<ProductGroup | null> {
  const [r] = await rows<GroupRow>(
    tx,
    sql`update product_groups set
          name = coalesce(${patch.name ?? null}, name),
          description = coalesce(${patch.description ?? null}, description),
          sort_order = coalesce(${patch.sortOrder ?? null}::int, sort_order),
          visible = coalesce(${patch.visible ?? null}::boolean, visible)
        where ${tenantIs(scope)} and id = ${id} returning *`,
  );
  return r ? toGroup(r) : null;
}

export async function findGroup(tx: Tx, scope: TenantScope, id: string): Promise<ProductGroup | null> {
  const [r] = await rows<GroupRow>(
    tx,
    sql`select * from product_groups where ${tenantIs(scope)} and id = ${id}`,
  );
  return r ? toGroup(r) : null;
}

export async function listGroups(tx: Tx, scope: TenantScope): Promise<ProductGroup[]> {
  const rs = await rows<GroupRow>(
    tx,
    sql`select * from product_groups where ${tenantIs(scope)} order by tenant_id, sort_order, name`,
  );
  return rs.map(toGroup);
}

/** Deletes an empty group; returns 'in_use' when products still point at it. */
export async function deleteGroup(
  tx: Tx,
  scope: TenantScope,
  id: string,
): Promise<'deleted' | 'missing' | 'in_use'> {
  // A boolean, not count(*): node-postgres returns a bigint count as the string '0', PGlite as a number,
  // and comparing with '0' made every delete 'in_use' under the embedded engine.
  const [used] = await rows<{ used: boolean }>(
    tx,
    sql`select exists (select 1 from products where ${tenantIs(scope)} and group_id = ${id}) as used`,
  );
  if (used?.used === true) return 'in_use';
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from product_groups where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0 ? 'deleted' : 'missing';
}
