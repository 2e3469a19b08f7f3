import { rows, tenantScope, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { addonsOf, optionsOf, type Addon, type ConfigOption } from './options.store';
import { pricesOf, type OwnedPrice } from './prices.store';
import { readResellablePlatformProducts, type Product } from './products.store';
import { tenantIs, writeTenant } from './sql';

export interface Offering {
  tenantId: string;
  productId: string;
  enabled: boolean;
  groupId: string | null;
  /** The reseller's name and description of the product on its storefront; null: the platform's. */
  name: string | null;
  description: string | null;
  /** Secret key of the aliases its clients see for the platform's ids (domain/alias.ts); never shown. */
  aliasSalt: string;
}

/** Creates or updates the offering; its alias salt is made once (column default) and never changes. */
export async function upsertOffering(
  tx: Tx,
  scope: TenantScope,
  o: {
    productId: string;
    enabled: boolean;
    groupId: string | null;
    name?: string | null;
    description?: string | null;
  },
) {
  await tx.execute(sql`
    insert into offerings (tenant_id, product_id, enabled, group_id, name, description)
    values (${writeTenant(scope)}, ${o.productId}, ${o.enabled}, ${o.groupId}, ${o.name ?? null},
            ${o.description ?? null})
    on conflict (tenant_id, product_id) do update
      set enabled = excluded.enabled, group_id = excluded.group_id,
          name = ${o.name === undefined ? sql`offerings.name` : sql`excluded.name`},
          description = ${o.description === undefined ? sql`offerings.description` : sql`excluded.description`},
          updated_at = now()`);
}

export async function listOfferings(tx: Tx, scope: TenantScope, enabledOnly = false): Promise<Offering[]> {
  const rs = await rows<{
    tenant_id: string;
    product_id: string;
    enabled: boolean;
    group_id: string | null;
    name: string | null;
    description: string | null;
    alias_salt: string;
  }>(
    tx,
    sql`select tenant_id, product_id, enabled, group_id, name, description, alias_salt
        from offerings where ${tenantIs(scope)}
        ${enabledOnly ? sql`and enabled` : sql``} order by tenant_id, product_id`,
  );
  return rs.map((r) => ({
    tenantId: r.tenant_id,
    productId: r.product_id,
    enabled: r.enabled,
    groupId: r.group_id,
    name: r.name,
    description: r.description,
    aliasSalt: r.alias_salt,
  }));
}

export interface PlatformCatalog {
  products: Product[];
  wholesale: OwnedPrice[];
  /** The platform's own retail prices: what the platform's direct clients pay. */
  retail: OwnedPrice[];
  options: ConfigOption[];
  optionPrices: OwnedPrice[];
  addons: Addon[];
  addonPrices: OwnedPrice[];
}

/**
 * The ONE cross-tenant read of catalog data: what the platform lets resellers resell. Run it inside
 * `db.withTenant(allTenants, …)`; every query below is pinned in SQL to the platform tenant, and products
 * to resellable, non-retired ones, so nothing of any reseller can come out of it.
 */
export async function readResellablePlatformCatalog(
  tx: Tx,
  platformTenantId: string,
  opts: { productIds?: string[]; currency?: string } = {},
): Promise<PlatformCatalog> {
  const platform = tenantScope(platformTenantId);
  const products = await readResellablePlatformProducts(tx, platformTenantId, opts.productIds);
  const ids = products.map((p) => p.id);
  const options = await optionsOf(tx, platform, ids);
  const addons = await addonsOf(tx, platform, ids);
  const choiceIds = options.flatMap((o) => o.choices.map((c) => c.id));
  return {
    products,
    wholesale: await pricesOf(tx, platform, 'wholesale', ids, opts.currency),
    retail: await pricesOf(tx, platform, 'product', ids, opts.currency),
    options,
    optionPrices: await pricesOf(tx, platform, 'option', choiceIds, opts.currency),
    addons,
    addonPrices: await pricesOf(
      tx,
      platform,
      'addon',
      addons.map((a) => a.id),
      opts.currency,
    ),
  };
}
