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

/** At most this many slugs and hosts are kept (the cache starts again when full: no unbounded growth). */
const LOOKUP_CACHE_ENTRIES = 10_000;

export function createTenantsService(deps: {
  db: Database;
  /**
   * How long a slug or host → tenant lookup is kept, found or not (default 5000 ms). Public requests
   * (login, sign-up, reset) name their storefront on every call; a change through this replica is seen at
   * once (`forget`), through another within this time. Sign-in re-reads the reseller's status itself.
   */
  lookupCacheMs?: number;
}) {
  const { db } = deps;
  const toRef = (r: Reseller): TenantRef => ({ tenantId: r.id, reseller: { id: r.id, status: r.status } });
  const lookupCacheMs = deps.lookupCacheMs ?? 5_000;
  const lookups = new Map<string, { at: number; found: Reseller | undefined }>();
  /** Bumped by every change: a lookup that started before it is not kept. */
  let generation = 0;
  async function lookup(by: { slug: string } | { domain: string }): Promise<Reseller | undefined> {
    const key = 'slug' in by ? `slug:${by.slug.toLowerCase()}` : `host:${by.domain}`;
    const hit = lookups.get(key);
    if (hit && Date.now() - hit.at < lookupCacheMs) return hit.found;
    const started = generation;
    const found = await db.withTenant(allTenants, (tx) => resolveTenant(tx, by));
    if (started === generation) {
      if (lookups.size >= LOOKUP_CACHE_ENTRIES) lookups.clear();
      lookups.set(key, { at: Date.now(), found });
    }
    return found;
  }

  return {
    /** Forgets every cached slug and host (a reseller changed through this replica). */
    forget(): void {
      generation += 1;
      lookups.clear();
    },

    /** Host → tenant for the gateway; undefined when the host is not a reseller's custom domain. */
    async byHost(host: string): Promise<Reseller | undefined> {
      const domain = normaliseHost(host);
      if (!domain) return undefined;
      return db.withTenant(allTenants, (tx) => resolveTenant(tx, { domain }));
    },

    /** The tenant of a public request: explicit slug, else the Host's custom domain, else the platform. */
    async resolve(input: { slug?: string | undefined; host?: string | undefined }): Promise<TenantRef> {
      if (input.slug !== undefined) {
        const r = await lookup({ slug: input.slug });
        if (!r) throw notFound();
        return toRef(r);
      }
      const domain = normaliseHost(input.host);
      if (domain) {
        const r = await lookup({ domain });
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
