import {
  allTenants,
  NotFoundError,
  tenantScope,
  type AuthContext,
  type Database,
} from '@geminis/service-kit';
import { findReseller, resolveTenant, revokedSince, tokenRevoked } from '../store/resellers.store';
import { PLATFORM_TENANT_ID, type TenantRef } from './context';
import { type Reseller } from './types';

const HOST = /^[a-z0-9.-]{1,253}$/;

/** Lower-cases, drops the port and a trailing dot; undefined when it is not a plausible host name. */
export function normaliseHost(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const host = raw.trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
  return HOST.test(host) ? host : undefined;
}

const notFound = () => new NotFoundError('identity.tenant_not_found', 'no storefront with that name');

export function createTenantsService(deps: { db: Database }) {
  const { db } = deps;
  const toRef = (r: Reseller): TenantRef => ({ tenantId: r.id, reseller: { id: r.id, status: r.status } });

  return {
    /** Host → tenant for the gateway; undefined when the host is not a reseller's custom domain. */
    async byHost(host: string): Promise<Reseller | undefined> {
      const domain = normaliseHost(host);
      if (!domain) return undefined;
      return db.withTenant(allTenants, (tx) => resolveTenant(tx, { domain }));
    },

    /** The tenant of a public request: explicit slug, else the Host's custom domain, else the platform. */
    async resolve(input: { slug?: string | undefined; host?: string | undefined }): Promise<TenantRef> {
      if (input.slug !== undefined) {
        const slug = input.slug;
        const r = await db.withTenant(allTenants, (tx) => resolveTenant(tx, { slug }));
        if (!r) throw notFound();
        return toRef(r);
      }
      const domain = normaliseHost(input.host);
      if (domain) {
        const r = await db.withTenant(allTenants, (tx) => resolveTenant(tx, { domain }));
        if (r) return toRef(r);
      }
      return { tenantId: PLATFORM_TENANT_ID };
    },

    /** The current state of a tenant (a reseller may have been suspended since a token was issued). */
    async ref(tenantId: string): Promise<TenantRef> {
      if (tenantId === PLATFORM_TENANT_ID) return { tenantId };
      const r = await db.withTenant(tenantScope(tenantId), (tx) =>
        findReseller(tx, tenantScope(tenantId), tenantId),
      );
      if (!r) throw notFound();
      return toRef(r);
    },

    /** Users no longer active and suspended resellers whose status changed since then (for the gateway). */
    async revokedSince(
      since: Date,
    ): Promise<{ kind: 'user' | 'tenant' | 'session'; id: string; at: Date }[]> {
      const found = await db.withTenant(allTenants, (tx) => revokedSince(tx, since));
      return found.map((r) => ({ kind: r.kind, id: r.id, at: new Date(r.at) }));
    },

    /** Whether a verified access token was revoked since (identity checks its own rows on every call). */
    isRevoked: (auth: AuthContext): Promise<boolean> =>
      db.withTenant(allTenants, (tx) => tokenRevoked(tx, auth)),

    async reseller(tenantId: string): Promise<Reseller | undefined> {
      if (tenantId === PLATFORM_TENANT_ID) return undefined;
      return db.withTenant(tenantScope(tenantId), (tx) => findReseller(tx, tenantScope(tenantId), tenantId));
    },
  };
}

export type TenantsService = ReturnType<typeof createTenantsService>;
