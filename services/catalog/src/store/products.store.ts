import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type ModuleName, type ProductTypeName } from '../domain/modules';
import { json, tenantIs, writeTenant } from './sql';

export type Visibility = 'visible' | 'hidden' | 'retired';

export interface Product {
  id: string;
  tenantId: string;
  groupId: string;
  name: string;
  description: string;
  type: ProductTypeName;
  module: ModuleName;
  moduleConfig: Record<string, unknown>;
  visibility: Visibility;
  resellable: boolean;
  sortOrder: number;
  createdAt: string;
  updatedAt: string;
}

interface ProductRow {
  id: string;
  tenant_id: string;
  group_id: string;
  name: string;
  description: string;
  type: ProductTypeName;
  module: ModuleName;
  module_config: Record<string, unknown>;
  visibility: Visibility;
  resellable: boolean;
  sort_order: number;
  created_at: Date;
  updated_at: Date;
}

export const toProduct = (r: ProductRow): Product => ({
  id: r.id,
  tenantId: r.tenant_id,
  groupId: r.group_id,
  name: r.name,
  description: r.description,
  type: r.type,
  module: r.module,
  moduleConfig: r.module_config,
  visibility: r.visibility,
  resellable: r.resellable,
  sortOrder: r.sort_order,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

export type NewProduct = Omit<Product, 'tenantId' | 'createdAt' | 'updatedAt'>;

export async function insertProduct(tx: Tx, scope: TenantScope, p: NewProduct): Promise<Product> {
  const [r] = await rows<ProductRow>(
    tx,
    sql`insert into products (id, tenant_id, group_id, name, description, type, module, module_config,
                              visibility, resellable, sort_order)
        values (${p.id}, ${writeTenant(scope)}, ${p.groupId}, ${p.name}, ${p.description}, ${p.type}, ${p.module},
                ${json(p.moduleConfig)}, ${p.visibility}, ${p.resellable}, ${p.sortOrder})
        returning *`,
  );
  return toProduct(r!);
}

/** Writes the full new state of a product (the service merged and validated the patch). */
export async function saveProduct(tx: Tx, scope: TenantScope, p: Product): Promise<Product | null> {
  const [r] = await rows<ProductRow>(
    tx,
    sql`update products set group_id = ${p.groupId}, name = ${p.name}, description = ${p.description},
               type = ${p.type}, module = ${p.module}, module_config = ${json(p.moduleConfig)},
               visibility = ${p.visibility}, resellable = ${p.resellable}, sort_order = ${p.sortOrder},
               updated_at = now()
        where ${tenantIs(scope)} and id = ${p.id} returning *`,
  );
  return r ? toProduct(r) : null;
}

export async function findProduct(tx: Tx, scope: TenantScope, id: string): Promise<Product | null> {
  const [r] = await rows<ProductRow>(tx, sql`select * from products where ${tenantIs(scope)} and id = ${id}`);
  return r ? toProduct(r) : null;
}

export async function listProducts(
  tx: Tx,
  scope: TenantScope,
  filter: { visibleOnly?: boolean; groupId?: string } = {},
): Promise<Product[]> {
  const rs = await rows<ProductRow>(
    tx,
    sql`select * from products where ${tenantIs(scope)}
          ${filter.visibleOnly ? sql`and visibility = 'visible'` : sql``}
          ${filter.groupId ? sql`and group_id = ${filter.groupId}` : sql``}
        order by tenant_id, sort_order, name`,
  );
  return rs.map(toProduct);
}

/**
 * THE cross-tenant read of the catalog: the platform's resellable, non-retired products, which every
 * reseller may see and resell. It opens nothing else — the SQL is pinned to the platform tenant and to
 * resellable rows — and the caller must run it with `withTenant(allTenants, …)` on purpose.
 */
export async function readResellablePlatformProducts(
  tx: Tx,
  platformTenantId: string,
  ids?: string[],
): Promise<Product[]> {
  const rs = await rows<ProductRow>(
    tx,
    sql`select * from products
        where tenant_id = ${platformTenantId} and resellable and visibility <> 'retired'
          ${ids ? sql`and id = any(${`{${ids.join(',')}}`}::uuid[])` : sql``}
        order by sort_order, name`,
  );
  return rs.map(toProduct);
}
