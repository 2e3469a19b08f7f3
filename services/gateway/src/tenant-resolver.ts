import { IDENTITY_INTERNAL, PLATFORM_TENANT_ID, TenantByHost } from '@geminis/contracts';
import { createHttpClient, NotFoundError, type Bus, type Subscription } from '@geminis/service-kit';
import { onEvent } from './events';

export interface ResolvedTenant {
  tenantId: string;
  kind: 'platform' | 'reseller';
}

export interface TenantResolverOptions {
  identityUrl: string;
  platformHosts: string[];
  ttlMs: number;
  now?: () => number;
}

/** A Host header as a bare lower-case host name (no port, no trailing dot). */
export function normaliseHost(host: string | undefined): string {
  return (host ?? '').trim().toLowerCase().replace(/:\d+$/, '').replace(/\.$/, '');
}

/**
 * Storefront tenant from the Host: a platform host → the platform; a reseller's custom domain → that
 * reseller (looked up in identity, cached for a short TTL, dropped early when identity announces a
 * reseller change); anything else → 404, never a guess. Suspended resellers' storefronts are 404 too.
 */
export function createTenantResolver(options: TenantResolverOptions) {
  const now = options.now ?? Date.now;
  const identity = createHttpClient({
    name: 'identity',
    baseUrl: options.identityUrl,
    timeoutMs: 2_000,
    retry: { retries: 1, baseDelayMs: 50, maxDelayMs: 200 },
  });
  const cache = new Map<string, { value: TenantByHost | null; expires: number }>();
  const platform = new Set(options.platformHosts.map(normaliseHost));

  async function lookup(host: string): Promise<TenantByHost | null> {
    const hit = cache.get(host);
    if (hit && hit.expires > now()) return hit.value;
    let value: TenantByHost | null;
    try {
      const res = await identity.request({ method: 'GET', path: IDENTITY_INTERNAL.tenantByHost(host) });
      value = TenantByHost.parse(res.body);
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      value = null;
    }
    cache.set(host, { value, expires: now() + options.ttlMs });
    return value;
  }

  async function resolve(hostHeader: string | undefined): Promise<ResolvedTenant> {
    const host = normaliseHost(hostHeader);
    if (platform.has(host)) return { tenantId: PLATFORM_TENANT_ID, kind: 'platform' };
    const found = host ? await lookup(host) : null;
    if (!found || found.status !== 'active') {
      throw new NotFoundError('storefront.unknown_host', `no storefront is served on ${host || 'this host'}`);
    }
    return { tenantId: found.tenantId, kind: 'reseller' };
  }

  /** True when the origin's host is a platform host or an active reseller's domain (for CORS). */
  async function isKnownHost(host: string): Promise<boolean> {
    const h = normaliseHost(host);
    if (platform.has(h)) return true;
    const found = await lookup(h).catch(() => null);
    return found?.status === 'active';
  }

  function invalidate(hosts: string[], tenantId?: string): void {
    for (const h of hosts) cache.delete(normaliseHost(h));
    if (tenantId) for (const [h, e] of cache) if (e.value?.tenantId === tenantId) cache.delete(h);
  }

  /**
   * Drops cached hosts when identity announces a reseller's domains or status changed. Every replica has
   * its own cache, so every replica reads every event: a per-instance queue, not one shared by replicas
   * (with a shared queue only the replica that happened to get the event would forget the old domain).
   */
  async function subscribe(bus: Bus, instance: string): Promise<Subscription> {
    return bus.subscribe(
      { name: 'gateway.hosts', bindings: ['identity.reseller.*.v1'], instance },
      onEvent((event) => {
        const data = event.data as {
          resellerId: string;
          customDomains?: string[];
          previousCustomDomains?: string[];
        };
        invalidate([...(data.customDomains ?? []), ...(data.previousCustomDomains ?? [])], data.resellerId);
      }),
    );
  }

  return { resolve, isKnownHost, invalidate, subscribe, close: () => identity.shutdown() };
}

export type TenantResolver = ReturnType<typeof createTenantResolver>;
