import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export type OptionKind = 'select' | 'quantity' | 'yesno';

export interface ConfigOption {
  id: string;
  productId: string;
  name: string;
  kind: OptionKind;
  minQuantity: number;
  maxQuantity: number | null;
  sortOrder: number;
  choices: { id: string; label: string; sortOrder: number }[];
}

export interface Addon {
  id: string;
  productId: string;
  name: string;
  description: string;
}

/** Replaces a product's configurable options (and their choices); prices are written by the caller. */
export async function replaceOptions(tx: Tx, scope: TenantScope, productId: string, options: ConfigOption[]) {
  const tenantId = writeTenant(scope);
  const old = await rows<{ id: string }>(
    tx,
    sql`select c.id from config_option_choices c join config_options o on o.tenant_id = c.tenant_id and o.id = c.option_id
        where o.tenant_id = ${tenantId} and o.product_id = ${productId}`,
  );
  if (old.length > 0) {
    await tx.execute(
      sql`delete from prices where tenant_id = ${tenantId} and kind = 'option'
          and owner_id = any(${`{${old.map((o) => o.id).join(',')}}`}::uuid[])`,
    );
  }
  await tx.execute(
    sql`delete from config_options where tenant_id = ${tenantId} and product_id = ${productId}`,
  );
  for (const o of options) {
    await tx.execute(sql`
      insert into config_options (id, tenant_id, product_id, name, kind, min_quantity, max_quantity, sort_order)
      values (${o.id}, ${tenantId}, ${productId}, ${o.name}, ${o.kind}, ${o.minQuantity}, ${o.maxQuantity},
              ${o.sortOrder})`);
    for (const c of o.choices) {
      await tx.execute(sql`
        insert into config_option_choices (id, tenant_id, option_id, label, sort_order)
        values (${c.id}, ${tenantId}, ${o.id}, ${c.label}, ${c.sortOrder})`);
    }
  }
}

export async function optionsOf(tx: Tx, scope: TenantScope, productIds: string[]): Promise<ConfigOption[]> {
  if (productIds.length === 0) return [];
  const rs = await rows<{
    id: string;
    product_id: string;
    name: string;
    kind: OptionKind;
    min_quantity: number;
    max_quantity: number | null;
    sort_order: number;
    choices: { id: string; label: string; sortOrder: number }[] | null;
  }>(
    tx,
    sql`select o.*, (select json_agg(json_build_object('id', c.id, 'label', c.label, 'sortOrder', c.sort_order)
                                      order by c.sort_order, c.label)
                     from config_option_choices c where c.tenant_id = o.tenant_id and c.option_id = o.id) as choices
        from config_options o
        where ${tenantIs(scope, sql`o.tenant_id`)} and o.product_id = any(${`{${productIds.join(',')}}`}::uuid[])
        order by o.product_id, o.sort_order, o.name`,
  );
  return rs.map((r) => ({
    id: r.id,
    productId: r.product_id,
    name: r.name,
    kind: r.kind,
    minQuantity: r.min_quantity,
    maxQuantity: r.max_quantity,
    sortOrder: r.sort_order,
    choices: r.choices ?? [],
  }));
}

export async function replaceAddons(tx: Tx, scope: TenantScope, productId: string, addons: Addon[]) {
  const tenantId = writeTenant(scope);
  const old = await rows<{ id: string }>(
    tx,
    sql`select id from addons where tenant_id = ${tenantId} and product_id = ${productId}`,
  );
  if (old.length > 0) {
    await tx.execute(
      sql`delete from prices where tenant_id = ${tenantId} and kind = 'addon'
          and owner_id = any(${`{${old.map((o) => o.id).join(',')}}`}::uuid[])`,
    );
  }
  await tx.execute(sql`delete from addons where tenant_id = ${tenantId} and product_id = ${productId}`);
  for (const a of addons) {
    await tx.execute(sql`
      insert into addons (id, tenant_id, product_id, name, description)
      values (${a.id}, ${tenantId}, ${productId}, ${a.name}, ${a.description})`);
  }
}

export async function addonsOf(tx: Tx, scope: TenantScope, productIds: string[]): Promise<Addon[]> {
  if (productIds.length === 0) return [];
  const rs = await rows<{ id: string; product_id: string; name: string; description: string }>(
    tx,
    sql`select id, product_id, name, description from addons
        where ${tenantIs(scope)} and product_id = any(${`{${productIds.join(',')}}`}::uuid[]) order by name`,
  );
  return rs.map((r) => ({ id: r.id, productId: r.product_id, name: r.name, description: r.description }));
}
