import { Client } from 'pg';
import { sql } from 'drizzle-orm';
import { assertSafeRole, migrate, openEmbeddedPostgres, openPostgres, rows, type Database } from '../src/db';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { allTenants, tenantScope } from '../src/tenant';
import { allNotes, insertNote, NOTES_MIGRATIONS, TENANT_A, TENANT_B } from './fixtures/notes';

/** drizzle wraps the driver error: the policy violation is its cause. */
const RLS_VIOLATION = { cause: { message: expect.stringMatching(/row-level security/) } };

describe('PostgreSQL storage with row-level security', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    // One connection, so every transaction reuses the same pooled connection.
    db = openPostgres({ url: testDb.url, max: 1 });
    await assertSafeRole(db);
    await migrate(db, [NOTES_MIGRATIONS]);
    await db.withTenant(tenantScope(TENANT_A), (tx) => insertNote(tx, TENANT_A, 'a-1'));
    await db.withTenant(tenantScope(TENANT_B), (tx) => insertNote(tx, TENANT_B, 'b-1'));
  });

  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('shows no rows when no tenant is set', async () => {
    expect(await db.transaction(allNotes)).toEqual([]);
  });

  it('shows a tenant only its own rows even through a query without a tenant filter', async () => {
    const seen = await db.withTenant(tenantScope(TENANT_A), allNotes);
    expect(seen.map((n) => n.body)).toEqual(['a-1']);
  });

  it('refuses to insert a row into another tenant', async () => {
    await expect(
      db.withTenant(tenantScope(TENANT_A), (tx) => insertNote(tx, TENANT_B, 'smuggled')),
    ).rejects.toMatchObject(RLS_VIOLATION);
    const bRows = await db.withTenant(tenantScope(TENANT_B), allNotes);
    expect(bRows.map((n) => n.body)).toEqual(['b-1']);
  });

  it("cannot update, move or delete another tenant's rows", async () => {
    await db.withTenant(tenantScope(TENANT_A), async (tx) => {
      await tx.execute(sql`update notes set body = 'hijacked'`);
      await tx.execute(sql`delete from notes where tenant_id = ${TENANT_B}`);
    });
    await expect(
      db.withTenant(tenantScope(TENANT_A), (tx) => tx.execute(sql`update notes set tenant_id = ${TENANT_B}`)),
    ).rejects.toMatchObject(RLS_VIOLATION);
    const everything = await db.withTenant(allTenants, allNotes);
    expect(everything.map((n) => [n.tenant_id, n.body])).toEqual([
      [TENANT_B, 'b-1'],
      [TENANT_A, 'hijacked'],
    ]);
    await db.withTenant(tenantScope(TENANT_A), (tx) => tx.execute(sql`update notes set body = 'a-1'`));
  });

  it('never leaks the tenant setting to the next user of a pooled connection', async () => {
    await db.withTenant(tenantScope(TENANT_A), allNotes);
    const [setting] = await db.transaction((tx) =>
      rows<{ tenant: string | null }>(tx, sql`select current_setting('app.tenant_id', true) as tenant`),
    );
    expect(setting?.tenant ?? '').toBe('');
    expect(await db.transaction(allNotes)).toEqual([]);
  });

  it('refuses a tenant id that is not a UUID before any SQL is sent, and keeps its connection', async () => {
    const forged = { kind: 'tenant', tenantId: "x', true); select set_config('app.all_tenants', 'on" };
    await expect(db.withTenant(forged as never, allNotes)).rejects.toThrow('tenant id must be a UUID');
    expect(await db.transaction(allNotes)).toEqual([]); // the one pooled connection is free and clean
  });

  it('rolls back what a failed transaction wrote, and gives its connection back usable', async () => {
    await expect(
      db.withTenant(tenantScope(TENANT_A), async (tx) => {
        await insertNote(tx, TENANT_A, 'rolled back');
        await tx.execute(sql`select 1 / 0`); // PostgreSQL aborts the transaction
      }),
    ).rejects.toThrow();
    // max 1: the same connection, which must not still be inside the aborted transaction.
    const seen = await db.withTenant(tenantScope(TENANT_A), allNotes);
    expect(seen.map((n) => n.body)).toEqual(['a-1']);
  });

  it('does not keep the tenant after a transaction that failed', async () => {
    await expect(
      db.withTenant(tenantScope(TENANT_A), async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.transaction(allNotes)).toEqual([]);
  });

  it('applies each migration once and refuses an edited one', async () => {
    expect(await migrate(db, [NOTES_MIGRATIONS])).toEqual([]);
    const admin = new Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    await admin.query(`update schema_migrations set checksum = 'edited' where id = 'notes/0001_notes.sql'`);
    await admin.end();
    await expect(migrate(db, [NOTES_MIGRATIONS])).rejects.toThrow(/edited after it was applied/);
  });

  it('refuses to start as a superuser', async () => {
    const superDb = openPostgres({ url: testDb.adminUrl, max: 1 });
    await expect(assertSafeRole(superDb)).rejects.toThrow(/superuser/);
    await superDb.close();
  });

  it('refuses to start as a role with BYPASSRLS', async () => {
    const admin = new Client({ connectionString: testDb.adminUrl });
    await admin.connect();
    const role = `${testDb.name}_bypass`;
    await admin.query(`create role ${role} login nosuperuser bypassrls`);
    try {
      const url = new URL(testDb.url);
      url.username = role;
      const bypassDb = openPostgres({ url: url.toString(), max: 1 });
      await expect(assertSafeRole(bypassDb)).rejects.toThrow(/BYPASSRLS/);
      await bypassDb.close();
    } finally {
      await admin.query(`drop role ${role}`);
      await admin.end();
    }
  });
});

describe('embedded PostgreSQL (PGlite)', () => {
  it('runs each service as its own unprivileged role, with row-level security applied', async () => {
    const engine = await openEmbeddedPostgres({});
    try {
      const db = await engine.database('notes_svc');
      await assertSafeRole(db);
      await migrate(db, [NOTES_MIGRATIONS]);
      await db.withTenant(tenantScope(TENANT_A), (tx) => insertNote(tx, TENANT_A, 'a-1'));
      await db.withTenant(tenantScope(TENANT_B), (tx) => insertNote(tx, TENANT_B, 'b-1'));
      expect(await db.transaction(allNotes)).toEqual([]);
      expect((await db.withTenant(tenantScope(TENANT_B), allNotes)).map((n) => n.body)).toEqual(['b-1']);
      await expect(
        db.withTenant(tenantScope(TENANT_A), (tx) => insertNote(tx, TENANT_B, 'smuggled')),
      ).rejects.toMatchObject(RLS_VIOLATION);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
