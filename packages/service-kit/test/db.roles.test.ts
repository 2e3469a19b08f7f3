/**
 * The outbox under the tenant policy, and migrations run by an owner role the runtime role is not
 * (issue 12: the outbox held every tenant's event bodies with no policy, and each service's runtime role
 * owned its tables, so it could have turned row-level security off itself).
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { createInMemoryBus, type IncomingMessage } from '../src/bus';
import { migrate, openPostgres, rows, type Database } from '../src/db';
import { createLogger } from '../src/logger';
import { createOutbox, createOutboxRelay } from '../src/outbox';
import { runService } from '../src/runtime/run-service';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { allTenants, tenantScope } from '../src/tenant';
import { NoteAdded, testRegistry } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A, TENANT_B } from './fixtures/notes';

const RLS_VIOLATION = { cause: { message: expect.stringMatching(/row-level security/) } };
const logger = createLogger({ service: 'roles-test', level: 'silent' });

async function until(ok: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('the outbox under the tenant policy', () => {
  let testDb: TestDatabase;
  let db: Database;
  const outbox = createOutbox({ source: 'roles-test', registry: testRegistry });
  const tenantsOf = (tx: Parameters<Parameters<Database['transaction']>[0]>[0]) =>
    rows<{ tenant_id: string }>(tx, sql`select tenant_id from outbox order by created_at`).then((rs) =>
      rs.map((r) => r.tenant_id),
    );

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = openPostgres({ url: testDb.url, max: 2 });
    await migrate(db, []);
    await db.withTenant(tenantScope(TENANT_A), (tx) =>
      outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n: 1 } }),
    );
    await db.withTenant(tenantScope(TENANT_B), (tx) =>
      outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_B, data: { n: 2 } }),
    );
    // System work with no tenant set (key rotation, a migration) may write an event naming its tenant.
    await db.transaction((tx) =>
      outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_B, data: { n: 3 } }),
    );
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('shows a tenant only its own events, and a transaction with no tenant none of them', async () => {
    expect(await db.withTenant(tenantScope(TENANT_A), tenantsOf)).toEqual([TENANT_A]);
    expect(await db.withTenant(tenantScope(TENANT_B), tenantsOf)).toEqual([TENANT_B, TENANT_B]);
    expect(await db.transaction(tenantsOf)).toEqual([]);
  });

  it("refuses an event of another tenant written in a tenant's transaction", async () => {
    await expect(
      db.withTenant(tenantScope(TENANT_A), (tx) =>
        outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_B, data: { n: 4 } }),
      ),
    ).rejects.toMatchObject(RLS_VIOLATION);
    expect(await db.withTenant(allTenants, tenantsOf)).toHaveLength(3);
  });

  it('is drained for every tenant by the relay, in its explicit all-tenants transaction', async () => {
    const bus = createInMemoryBus();
    const got: IncomingMessage[] = [];
    await bus.subscribe({ name: 'roles', bindings: ['test.#'] }, async (m) => {
      got.push(m);
      return 'ack';
    });
    const relay = createOutboxRelay({ db, bus, logger, pollIntervalMs: 20, keepPublished: false });
    await relay.start();
    await until(() => got.length >= 3);
    await relay.stop();
    await bus.close();
    const tenantOf = (m: IncomingMessage) =>
      (JSON.parse(m.body.toString('utf8')) as { tenantId: string }).tenantId;
    expect(got.map(tenantOf).sort()).toEqual([TENANT_A, TENANT_B, TENANT_B].sort());
    const [pending] = await db.withTenant(allTenants, (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from outbox`),
    );
    expect(pending!.n).toBe(0);
  });
});

describe('migrations as an owner role, the service as a runtime role that owns nothing', () => {
  // TEST_PG_ADMIN_URL is the superuser the test harness creates databases with.
  const adminUrl = process.env.TEST_PG_ADMIN_URL!;
  const suffix = randomBytes(4).toString('hex');
  const owner = `gm_owner_${suffix}`;
  const runtime = `gm_runtime_${suffix}`;
  const database = `gm_roles_${suffix}`;
  const urlAs = (role: string, db = database) => {
    const u = new URL(adminUrl);
    u.username = role;
    u.password = '';
    u.pathname = `/${db}`;
    return u.toString();
  };
  const admin = async (statements: string[], db?: string) => {
    const u = new URL(adminUrl);
    if (db) u.pathname = `/${db}`;
    const c = new Client({ connectionString: u.toString() });
    await c.connect();
    try {
      for (const s of statements) await c.query(s);
    } finally {
      await c.end();
    }
  };
  const definition = {
    name: 'roles',
    migrations: [NOTES_MIGRATIONS],
    build: () => Promise.resolve({ routes: [] }),
  };

  beforeAll(async () => {
    // As infra/postgres/init.sql does it: the owner owns the database and migrates; the runtime role
    // gets the rights to use what the owner creates, and nothing else.
    await admin([
      `CREATE ROLE ${owner} LOGIN NOSUPERUSER NOBYPASSRLS`,
      `CREATE ROLE ${runtime} LOGIN NOSUPERUSER NOBYPASSRLS`,
      `CREATE DATABASE ${database} OWNER ${owner}`,
    ]);
    await admin(
      [
        `GRANT CONNECT ON DATABASE ${database} TO ${runtime}`,
        `GRANT USAGE ON SCHEMA public TO ${runtime}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${runtime}`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE ${owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${runtime}`,
      ],
      database,
    );
  });
  afterAll(async () => {
    await admin([
      `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`,
      `DROP ROLE IF EXISTS ${runtime}`,
      `DROP ROLE IF EXISTS ${owner}`,
    ]);
  });

  it('migrates as the owner and serves as the runtime role, which cannot turn row-level security off', async () => {
    const db = openPostgres({ url: urlAs(runtime), max: 2 });
    const migrationDb = openPostgres({ url: urlAs(owner), max: 1 });
    const bus = createInMemoryBus();
    try {
      const running = await runService(definition, { db, migrationDb, bus, logger, port: 0 });
      await running.stop();
      // The runtime role reads and writes through the policy…
      await db.withTenant(tenantScope(TENANT_A), (tx) =>
        tx.execute(sql`insert into notes (id, tenant_id, body) values (gen_random_uuid(), ${TENANT_A}, 'a')`),
      );
      // …and cannot switch it off, nor drop what it does not own.
      for (const statement of [
        sql`alter table notes disable row level security`,
        sql`alter table notes no force row level security`,
        sql`alter table outbox disable row level security`,
        sql`drop table notes`,
      ]) {
        await expect(db.transaction((tx) => tx.execute(statement))).rejects.toMatchObject({
          cause: { message: expect.stringMatching(/must be owner/) },
        });
      }
    } finally {
      await bus.close();
      await db.close();
      await migrationDb.close();
    }
  });

  it('refuses to start when the runtime role owns tables although another role migrates', async () => {
    const db = openPostgres({ url: urlAs(owner), max: 1 });
    const migrationDb = openPostgres({ url: urlAs(owner), max: 1 });
    const bus = createInMemoryBus();
    try {
      await expect(runService(definition, { db, migrationDb, bus, logger, port: 0 })).rejects.toThrow(
        /owns tables \(.*notes.*\).*row-level security off/,
      );
    } finally {
      await bus.close();
      await db.close();
      await migrationDb.close();
    }
  });
});
