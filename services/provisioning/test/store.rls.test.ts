import { allTenants, newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { findGroup, insertGroup, listGroups } from '../src/store/server-groups.store';
import { findServer, findServerCredentials, insertServer, listServers } from '../src/store/servers.store';
import { startProvisioning, type Harness } from './support/provisioning';

const TABLES = [
  'server_groups',
  'servers',
  'accounts',
  'jobs',
  'placements',
  'registrar_accounts',
  'tld_registrars',
  'domains',
  'domain_jobs',
  'registrar_callbacks',
];

/** Tenant isolation twice: the stores' own filter, and row-level security under it. */
describe('provisioning store isolation', () => {
  let h: Harness;
  const A = newId();
  const B = newId();
  const server = newId();
  const group = newId();

  beforeAll(async () => {
    h = await startProvisioning();
    await h.db.withTenant(tenantScope(A), async (tx) => {
      await insertGroup(tx, tenantScope(A), { id: group, name: 'g', fillStrategy: 'least_accounts' });
      await insertServer(tx, tenantScope(A), {
        id: server,
        groupId: group,
        name: 's',
        module: 'cpanel',
        hostname: 'whm.test',
        port: 2087,
        tls: true,
        ipAddress: null,
        nameservers: [],
        maxAccounts: 5,
        enabled: true,
        sortOrder: 0,
        sealedCredentials: 'v1.x.y.z',
      });
      await tx.execute(
        sql`insert into placements (tenant_id, product_id, group_id) values (${A}, ${newId()}, ${group})`,
      );
      await tx.execute(sql`insert into accounts (id, tenant_id, service_id, client_id, product_id, module, status)
                           values (${newId()}, ${A}, ${newId()}, ${newId()}, ${newId()}, 'none', 'active')`);
      await tx.execute(sql`insert into jobs (id, tenant_id, service_id, client_id, action, status, request, event_id,
                                             max_attempts)
                           values (${newId()}, ${A}, ${newId()}, ${newId()}, 'provision', 'pending', '{}', ${newId()}, 3)`);
      const account = newId();
      const domain = newId();
      await tx.execute(sql`insert into registrar_accounts (id, tenant_id, name, registrar, endpoint, credentials)
                           values (${account}, ${A}, 'r', 'namecom', 'https://api.dev.name.com', 'v1.x.y.z')`);
      await tx.execute(
        sql`insert into tld_registrars (tenant_id, tld, account_id) values (${A}, '.com', ${account})`,
      );
      await tx.execute(sql`insert into domains (id, tenant_id, domain_service_id, client_id, domain, tld, status)
                           values (${domain}, ${A}, ${newId()}, ${newId()}, 'a.com', '.com', 'pending')`);
      await tx.execute(sql`insert into domain_jobs (id, tenant_id, domain_id, action, request_key, status, request,
                                                    max_attempts)
                           values (${newId()}, ${A}, ${domain}, 'register', 'once', 'pending', '{}', 3)`);
      await tx.execute(sql`insert into registrar_callbacks (id, tenant_id, account_id, status, body)
                           values (${newId()}, ${A}, ${account}, 'refused', '{}')`);
    });
  }, 60_000);
  afterAll(() => h?.stop());

  it('enables and forces row-level security on every provisioning table', async () => {
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

  it('shows no rows without a tenant, none of A to B, and refuses a row written into another tenant', async () => {
    for (const table of TABLES) {
      const count = (scope?: ReturnType<typeof tenantScope>) =>
        (scope ? h.db.withTenant(scope, (tx) => q(tx)) : h.db.transaction((tx) => q(tx))).then(
          (r) => r[0]!.n,
        );
      const q = (tx: Parameters<Parameters<typeof h.db.transaction>[0]>[0]) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`);
      expect([table, await count()]).toEqual([table, 0]);
      expect([table, await count(tenantScope(B))]).toEqual([table, 0]);
      expect([table, await count(tenantScope(A))]).toEqual([table, 1]);
    }
    await expect(
      h.db.withTenant(tenantScope(B), (tx) =>
        tx.execute(sql`insert into server_groups (id, tenant_id, name, fill_strategy)
                       values (${newId()}, ${A}, 'sneaky', 'least_accounts')`),
      ),
    ).rejects.toThrow();
  });

  it('filters by tenant in the store itself, even where row-level security would let rows through', async () => {
    await h.db.withTenant(allTenants, async (tx) => {
      expect(await findServer(tx, tenantScope(B), server)).toBeNull();
      expect(await findServerCredentials(tx, tenantScope(B), server)).toBeNull();
      expect(await listServers(tx, tenantScope(B))).toEqual([]);
      expect(await findGroup(tx, tenantScope(B), group)).toBeNull();
      expect(await listGroups(tx, tenantScope(B))).toEqual([]);
      expect((await findServer(tx, tenantScope(A), server))?.id).toBe(server);
    });
  });
});
