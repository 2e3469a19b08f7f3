import { PLATFORM_TENANT_ID, StorefrontDomains, type DomainAvailabilityView } from '@geminis/contracts';
import { allTenants, rows, type Database, type KitLogger } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { isPanelError } from '../modules/panel';
import { type Availability } from '../registrars/registrar';
import { type Registrars } from '../registrars/registrars';
import { accountForTld } from '../store/registrar-accounts.store';
import { type Cipher } from './crypto';
import { connectionById } from './registrar-accounts.service';

type Price = NonNullable<DomainAvailabilityView['price']>;

/** A small time-bound cache (availability changes; a search repeated within seconds need not ask again). */
function ttlCache<T>(ttlMs: number, now: () => number) {
  const entries = new Map<string, { value: T; until: number }>();
  return {
    get(key: string): T | undefined {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.until <= now()) {
        entries.delete(key);
        return undefined;
      }
      return e.value;
    },
    set(key: string, value: T) {
      if (entries.size > 10_000) entries.clear();
      entries.set(key, { value, until: now() + ttlMs });
    },
  };
}

/**
 * The storefront's domain search: each name asked of the registrar its TLD goes to (the tenant's own
 * account for it, else the platform's), batched per registrar account, answers cached briefly; the
 * tenant's one-year prices from catalog next to each. Catalog being down leaves the prices out, never the
 * answer; a registrar being down answers `available: null` for its names.
 */
export function createAvailabilityService(deps: {
  db: Database;
  cipher: Cipher;
  registrars: Registrars;
  logger: KitLogger;
  /** Catalog's storefront domain prices (`GET /v1/storefront/:tenantId/domains`). */
  catalogUrl?: string;
  ttlMs?: number;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  const ttl = deps.ttlMs ?? 60_000;
  const answers = ttlCache<Availability>(ttl, now);
  const prices = ttlCache<Map<string, Price>>(ttl, now);
  const log = deps.logger.child({ component: 'availability' });

  async function pricesOf(tenantId: string, currency?: string): Promise<Map<string, Price>> {
    if (!deps.catalogUrl) return new Map();
    const key = `${tenantId}:${currency ?? ''}`;
    const cached = prices.get(key);
    if (cached) return cached;
    try {
      const url = `${deps.catalogUrl.replace(/\/+$/, '')}/v1/storefront/${tenantId}/domains${currency ? `?currency=${currency}` : ''}`;
      const res = await fetch(url, {
        signal: AbortSignal.timeout(3_000),
        headers: { accept: 'application/json' },
      });
      if (!res.ok) throw new Error(`catalog answered HTTP ${res.status}`);
      const body = StorefrontDomains.parse(await res.json());
      const byTld = new Map<string, Price>();
      for (const t of body.tlds)
        if (t.years === 1 || !byTld.has(t.tld))
          byTld.set(t.tld, {
            currency: body.currency,
            years: t.years,
            register: t.register,
            renew: t.renew,
            transfer: t.transfer,
          });
      prices.set(key, byTld);
      return byTld;
    } catch (err) {
      log.warn(
        { err: (err as Error).message, tenantId },
        'domain prices unavailable; answering without them',
      );
      return new Map();
    }
  }

  return {
    async search(tenantId: string, names: string[], currency?: string): Promise<DomainAvailabilityView[]> {
      if (names.length === 0) return [];
      const tldOf = (n: string) => n.slice(n.indexOf('.'));
      // Which account answers for which names.
      const byAccount = new Map<string, string[]>();
      const noRegistrar = new Set<string>();
      const tldAccounts = new Map<string, string | null>();
      // Names this platform holds or is registering (any tenant) are taken, whatever a cached registrar
      // answer from before the registration says, on every replica.
      const held = new Set<string>();
      await deps.db.withTenant(allTenants, async (tx) => {
        for (const r of await rows<{ domain: string }>(
          tx,
          sql`select distinct domain from domains
              where domain in (${sql.join(
                names.map((n) => sql`${n}`),
                sql`, `,
              )}) and status in ('pending', 'transfer_pending', 'active')`,
        ))
          held.add(r.domain);
        for (const name of names) {
          const tld = tldOf(name);
          if (!tldAccounts.has(tld))
            tldAccounts.set(
              tld,
              (await accountForTld(tx, tenantId, PLATFORM_TENANT_ID, tld))?.accountId ?? null,
            );
          const accountId = tldAccounts.get(tld);
          if (!accountId) noRegistrar.add(name);
          else byAccount.set(accountId, [...(byAccount.get(accountId) ?? []), name]);
        }
      });
      const found = new Map<string, Availability>();
      for (const n of held) found.set(n, { domain: n, available: false, premium: false });
      await Promise.all(
        [...byAccount].map(async ([accountId, accountNames]) => {
          const ask = accountNames.filter((n) => {
            if (held.has(n)) return false;
            const cached = answers.get(`${accountId}:${n}`);
            if (cached) found.set(n, cached);
            return !cached;
          });
          if (ask.length === 0) return;
          const conn = await connectionById(deps.db, deps.cipher, accountId);
          if (!conn) return;
          const adapter = deps.registrars.adapterFor(conn.conn);
          for (let i = 0; i < ask.length; i += adapter.maxBatch) {
            const batch = ask.slice(i, i + adapter.maxBatch);
            try {
              for (const a of await adapter.check(batch)) {
                found.set(a.domain, a);
                if (a.available !== null) answers.set(`${accountId}:${a.domain}`, a);
              }
            } catch (err) {
              if (!isPanelError(err)) throw err;
              log.warn({ accountId, error: err.message }, 'availability check failed');
              for (const n of batch)
                found.set(n, {
                  domain: n,
                  available: null,
                  premium: false,
                  reason: 'the registrar did not answer',
                });
            }
          }
        }),
      );
      const priced = await pricesOf(tenantId, currency);
      return names.map((domain) => {
        const a = found.get(domain);
        const tld = tldOf(domain);
        return {
          domain,
          tld,
          available: a?.available ?? null,
          premium: a?.premium ?? false,
          ...(noRegistrar.has(domain)
            ? { reason: 'domains of this TLD are not offered' }
            : a?.reason
              ? { reason: a.reason.slice(0, 500) }
              : {}),
          price: priced.get(tld) ?? null,
        };
      });
    },
  };
}

export type AvailabilityService = ReturnType<typeof createAvailabilityService>;
