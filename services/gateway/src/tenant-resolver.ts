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
  /** Hosts remembered (found or not). The oldest go first; default 10,000. */
  maxEntries?: number;
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
  // Insertion-ordered: re-setting a host moves it last, so the first key is the least recently looked up.
  // Misses are remembered too (value null): a stream of made-up Host headers costs one lookup each per TTL
  // at most, and never more memory than maxEntries.
  const cache = new Map<string, { value: TenantByHost | null; expires: number }>();
  const maxEntries = options.maxEntries ?? 10_000;
  const inFlight = new Map<string, Promise<TenantByHost | null>>();
  const platform = new Set(options.platformHosts.map(normaliseHost));

  function remember(host: string, value: TenantByHost | null): void {
    cache.delete(host);
    cache.set(host, { value, expires: now() + options.ttlMs });
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value!);
  }

  async function fetchHost(host: string): Promise<TenantByHost | null> {
    let value: TenantByHost | null;
    try {
      const res = await identity.request({ method: 'GET', path: IDENTITY_INTERNAL.tenantByHost(host) });
      value = TenantByHost.parse(res.body);
    } catch (err) {
      if ((err as { status?: number }).status !== 404) throw err;
      value = null;
    }
    remember(host, value);
    return value;
  }

  async function lookup(host: string): Promise<TenantByHost | null> {
    // A host name is at most 253 characters of [a-z0-9.-]: anything else names no storefront, unasked.
    if (host.length > 253 || !/^[a-z0-9.-]+$/.test(host)) return null;
    const hit = cache.get(host);
    if (hit && hit.expires > now()) return hit.value;
    // Concurrent requests for the same unknown host share one lookup.
    const pending = inFlight.get(host);
    if (pending) return pending;
    const started = fetchHost(host).finally(() => inFlight.delete(host));
    inFlight.set(host, started);
    return started;
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

  return {
    resolve,
    isKnownHost,
    invalidate,
    subscribe,
    /** Hosts remembered now (for tests and metrics). */
    cachedHosts: () => cache.size,
    close: () => identity.shutdown(),
  };
}

export type TenantResolver = ReturnType<typeof createTenantResolver>;
