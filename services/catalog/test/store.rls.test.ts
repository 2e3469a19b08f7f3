import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { seedCatalogDemo } from '../src/service';
import { PLATFORM_TENANT_ID, startCatalog, type Harness } from './support/catalog';

const TABLES = [
  'resellers',
  'product_groups',
  'products',
  'prices',
  'offerings',
  'domain_prices',
  'config_options',
  'config_option_choices',
  'addons',
  'promotions',
  'promotion_amounts',
  'promotion_redemptions',
  'placed_orders',
  'clients',
];

/** Row-level security as the second wall, under the seeded demo catalog. */
describe('catalog store isolation', () => {
  let h: Harness;
  const A = newId();

  beforeAll(async () => {
    h = await startCatalog();
    await seedCatalogDemo(h.db, { resellerTenantId: A });
  }, 60_000);
  afterAll(() => h.stop());

  it('enables and forces row-level security on every catalog table', async () => {
    const flags = await h.db.transaction((tx) =>
      rows<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
        tx,
        sql`select relname, relrowsecurity, relforcerowsecurity from pg_class
            where relkind = 'r' and relnamespace = 'public'::regnamespace and relname not in
              ('schema_migrations', 'outbox', 'inbox', 'scheduler_runs')`,
      ),
    );
    expect(flags.map((f) => f.relname).sort()).toEqual([...TABLES].sort());
    for (const f of flags)
      expect([f.relname, f.relrowsecurity, f.relforcerowsecurity]).toEqual([f.relname, true, true]);
  });

  it('shows no rows at all without a tenant, and only its own rows to a tenant', async () => {
    for (const table of TABLES) {
      const none = await h.db.transaction((tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`),
      );
      expect([table, none[0]!.n]).toEqual([table, 0]);
    }
    const aTenants = await h.db.withTenant(tenantScope(A), (tx) =>
      rows<{ tenant_id: string }>(
        tx,
        sql`select distinct tenant_id from products union select distinct tenant_id from prices`,
      ),
    );
    expect(aTenants.map((r) => r.tenant_id)).toEqual([A]);
    const platform = await h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from products`),
    );
    expect(platform[0]!.n).toBe(4);
  });
});
