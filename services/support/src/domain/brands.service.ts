import { tenantScope, type Database } from '@geminis/service-kit';
import { findBrand, saveBrand, type Brand } from '../store/mail.store';

/** Where a brand comes from (identity's internal brand route; a stand-in in unit tests). */
export type BrandSource = (tenantId: string) => Promise<Brand>;

/**
 * Each tenant's brand for its mails: identity's answer, kept in support's database and asked again when
 * identity announces a change (the row goes stale) or after `maxAgeMs`. When identity cannot answer, the
 * last known brand is used; with none, the caller fails and the mail waits for its next attempt — a mail
 * never goes out in someone else's brand.
 */
export function createBrandsService(deps: {
  db: Database;
  source: BrandSource;
  maxAgeMs?: number;
  now?: () => Date;
}) {
  const maxAgeMs = deps.maxAgeMs ?? 60 * 60_000;
  const now = deps.now ?? (() => new Date());
  return {
    async brandFor(tenantId: string): Promise<Brand> {
      const scope = tenantScope(tenantId);
      const cached = await deps.db.withTenant(scope, (tx) => findBrand(tx, scope));
      const at = now();
      if (cached?.fetchedAt && at.getTime() - cached.fetchedAt.getTime() < maxAgeMs) return cached;
      try {
        const fresh = await deps.source(tenantId);
        await deps.db.withTenant(scope, (tx) => saveBrand(tx, scope, fresh, at));
        return fresh;
      } catch (err) {
        if (cached)
          return {
            brandName: cached.brandName,
            logoUrl: cached.logoUrl,
            supportEmail: cached.supportEmail,
            storefrontHost: cached.storefrontHost ?? null,
          };
        throw err;
      }
    },
  };
}

export type BrandsService = ReturnType<typeof createBrandsService>;
