import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export interface ResellerFacts {
  tenantId: string;
  slug: string;
  allowCustomProducts: boolean;
  status: 'active' | 'suspended';
}

/** Applies a reseller profile from identity unless a newer one was already applied (events may reorder). */
export async function upsertReseller(
  tx: Tx,
  scope: TenantScope,
  facts: ResellerFacts,
  profileTime: string,
): Promise<void> {
  const tenantId = writeTenant(scope);
  if (tenantId !== facts.tenantId) throw new Error('a reseller profile belongs to its own tenant');
  await tx.execute(sql`
    insert into resellers (tenant_id, slug, allow_custom_products, status, profile_time)
    values (${tenantId}, ${facts.slug}, ${facts.allowCustomProducts}, ${facts.status}, ${profileTime})
    on conflict (tenant_id) do update
      set slug = excluded.slug, allow_custom_products = excluded.allow_custom_products,
          status = excluded.status, profile_time = excluded.profile_time
      where resellers.profile_time <= excluded.profile_time`);
}

export async function findReseller(
  tx: Tx,
  scope: TenantScope,
  tenantId: string,
): Promise<ResellerFacts | null> {
  const [r] = await rows<{
    tenant_id: string;
    slug: string;
    allow_custom_products: boolean;
    status: 'active' | 'suspended';
  }>(
    tx,
    sql`select tenant_id, slug, allow_custom_products, status from resellers
        where ${tenantIs(scope)} and tenant_id = ${tenantId}`,
  );
  return r
    ? { tenantId: r.tenant_id, slug: r.slug, allowCustomProducts: r.allow_custom_products, status: r.status }
    : null;
}
