import { rows, type TenantScope, type Tx, tenantIs } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Reseller, type ResellerStatus } from '../domain/types';

interface ResellerRow {
  id: string;
  slug: string;
  brand_name: string;
  logo_url: string | null;
  support_email: string | null;
  allow_custom_products: boolean;
  status: ResellerStatus;
  created_at: Date;
  updated_at: Date;
  domains: string[] | null;
}

const toReseller = (r: ResellerRow): Reseller => ({
  id: r.id,
  slug: r.slug,
  brandName: r.brand_name,
  logoUrl: r.logo_url,
  supportEmail: r.support_email,
  customDomains: r.domains ?? [],
  allowCustomProducts: r.allow_custom_products,
  status: r.status,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const tenantFilter = (scope: TenantScope) => tenantIs(scope, sql`r.tenant_id`);

const SELECT = sql`select r.*, (select coalesce(array_agg(d.domain order by d.domain), '{}')
                    from reseller_domains d where d.reseller_id = r.id) as domains
                   from resellers r`;

export interface NewReseller {
  id: string;
  slug: string;
  brandName: string;
  logoUrl?: string | undefined;
  supportEmail?: string | undefined;
  allowCustomProducts: boolean;
}

export async function insertReseller(tx: Tx, scope: TenantScope, r: NewReseller): Promise<void> {
  if (scope.kind === 'tenant' && scope.tenantId !== r.id) throw new Error('tenant mismatch');
  await tx.execute(
    sql`insert into resellers (id, tenant_id, slug, brand_name, logo_url, support_email, allow_custom_products)
        values (${r.id}, ${r.id}, ${r.slug}, ${r.brandName}, ${r.logoUrl ?? null}, ${r.supportEmail ?? null},
                ${r.allowCustomProducts})`,
  );
}

export async function replaceDomains(
  tx: Tx,
  scope: TenantScope,
  id: string,
  domains: string[],
): Promise<void> {
  // reseller_domains has no RLS (domains are public and globally unique): check ownership explicitly.
  const owned = await findReseller(tx, scope, id);
  if (!owned) throw new Error('reseller not in scope');
  await tx.execute(sql`delete from reseller_domains where reseller_id = ${id}`);
  for (const domain of domains) {
    await tx.execute(sql`insert into reseller_domains (domain, reseller_id) values (${domain}, ${id})`);
  }
}

export async function findReseller(tx: Tx, scope: TenantScope, id: string): Promise<Reseller | undefined> {
  const [row] = await rows<ResellerRow>(tx, sql`${SELECT} where r.id = ${id} and ${tenantFilter(scope)}`);
  return row && toReseller(row);
}

/**
 * The reseller's contact address: its owner's, the first reseller login made with it (still there) — where
 * the platform writes to the reseller about its own account (identity.reseller.*.v1 `contactEmail`).
 */
export async function resellerContactEmail(
  tx: Tx,
  scope: TenantScope,
  id: string,
): Promise<string | undefined> {
  const [row] = await rows<{ email: string }>(
    tx,
    sql`select u.email from users u
         where u.tenant_id = ${id} and ${tenantIs(scope, sql`u.tenant_id`)} and u.role = 'reseller'
           and u.deleted_at is null
         order by u.created_at, u.id limit 1`,
  );
  return row?.email;
}

export async function listResellers(
  tx: Tx,
  scope: TenantScope,
  page: { after?: string; limit: number },
): Promise<Reseller[]> {
  const list = await rows<ResellerRow>(
    tx,
    sql`${SELECT} where ${tenantFilter(scope)} ${page.after ? sql`and r.id > ${page.after}` : sql``}
        order by r.id limit ${page.limit}`,
  );
  return list.map(toReseller);
}

export interface ResellerPatch {
  brandName?: string | undefined;
  logoUrl?: string | null | undefined;
  supportEmail?: string | null | undefined;
  allowCustomProducts?: boolean | undefined;
  slug?: string | undefined;
}

export async function updateReseller(
  tx: Tx,
  scope: TenantScope,
  id: string,
  patch: ResellerPatch,
): Promise<boolean> {
  const set = (has: boolean, column: string, value: unknown) =>
    has ? sql`${sql.raw(column)} = ${value}` : sql`${sql.raw(column)} = ${sql.raw(column)}`;
  const updated = await rows<{ id: string }>(
    tx,
    sql`update resellers r set
          ${set(patch.brandName !== undefined, 'brand_name', patch.brandName)},
          ${set(patch.logoUrl !== undefined, 'logo_url', patch.logoUrl)},
          ${set(patch.supportEmail !== undefined, 'support_email', patch.supportEmail)},
          ${set(patch.allowCustomProducts !== undefined, 'allow_custom_products', patch.allowCustomProducts)},
          ${set(patch.slug !== undefined, 'slug', patch.slug)},
          updated_at = now()
        where r.id = ${id} and ${tenantFilter(scope)} returning r.id`,
  );
  return updated.length === 1;
}

export async function setResellerStatus(
  tx: Tx,
  scope: TenantScope,
  id: string,
  status: ResellerStatus,
): Promise<boolean> {
  const updated = await rows<{ id: string }>(
    tx,
    sql`update resellers r set status = ${status}, updated_at = now()
        where r.id = ${id} and ${tenantFilter(scope)} returning r.id`,
  );
  return updated.length === 1;
}

/**
 * Host or slug → tenant: a cross-tenant lookup of public data, the one place this store reads every
 * tenant. The caller must open the transaction with `allTenants`.
 */
export async function resolveTenant(
  tx: Tx,
  by: { domain: string } | { slug: string },
): Promise<Reseller | undefined> {
  const where =
    'domain' in by
      ? sql`r.id = (select reseller_id from reseller_domains where domain = ${by.domain})`
      : sql`lower(r.slug) = lower(${by.slug})`;
  const [row] = await rows<ResellerRow>(tx, sql`${SELECT} where ${where}`);
  return row && toReseller(row);
}

/**
 * Whose access tokens stopped being good since `since`: users no longer active (or deleted) and
 * suspended resellers (all their tenant's users), with the time of the change. Cross-tenant: the caller
 * opens the transaction with `allTenants`.
 */
export async function revokedSince(
  tx: Tx,
  since: Date,
): Promise<{ kind: 'user' | 'tenant' | 'session'; id: string; at: Date }[]> {
  return rows<{ kind: 'user' | 'tenant' | 'session'; id: string; at: Date }>(
    tx,
    sql`select 'user' as kind, id, updated_at as at from users
          where (status <> 'active' or deleted_at is not null) and updated_at >= ${since}
        union all
        select 'tenant' as kind, id, updated_at as at from resellers
          where status = 'suspended' and updated_at >= ${since}
        union all
        select 'session' as kind, family_id as id, max(revoked_at) as at from refresh_tokens
          where revoked_at >= ${since}
          group by family_id
        order by at`,
  );
}

/**
 * Whether identity itself must refuse an access token now: its user is no longer active (or gone), its
 * reseller is suspended, or its session (refresh-token family) was revoked — by logout, a password change
 * or refresh-token reuse. Identity answers from its own rows; other services from the revocation feed.
 */
export async function tokenRevoked(
  tx: Tx,
  token: { userId: string; tenantId: string; sessionId?: string | undefined },
): Promise<boolean> {
  const [row] = await rows<{ revoked: boolean }>(
    tx,
    sql`select (
          not exists (select 1 from users u
                       where u.id = ${token.userId} and u.status = 'active' and u.deleted_at is null)
          or exists (select 1 from resellers r where r.id = ${token.tenantId} and r.status = 'suspended')
          or exists (select 1 from refresh_tokens t
                      where t.family_id = ${token.sessionId ?? null}::uuid and t.revoked_at is not null)
        ) as revoked`,
  );
  return row?.revoked === true;
}
