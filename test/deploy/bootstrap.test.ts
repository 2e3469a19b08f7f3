/**
 * The first-admin bootstrap on real PostgreSQL: it creates one admin whose password logs in, a second run
 * changes nothing, two runs at once create one, and a weak password is refused before anything is written.
 */
import { openPostgres, rows, ValidationError, type Database } from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { bootstrapFirstAdmin } from '../../services/identity/src/bootstrap';
import { createPasswordHasher } from '../../services/identity/src/domain/passwords';

let tdb: TestDatabase;
let db: Database;

const admins = async () => {
  const admin = openPostgres({ url: tdb.adminUrl, applicationName: 'bootstrap-test' });
  try {
    return await admin.transaction((tx) =>
      rows<{ email: string; password_hash: string; role: string }>(
        tx,
        sql`select email, password_hash, role from users where role = 'admin'`,
      ),
    );
  } finally {
    await admin.close();
  }
};

beforeEach(async () => {
  tdb = await createTestDatabase('gm_bootstrap');
  db = openPostgres({ url: tdb.url, applicationName: 'bootstrap-test' });
});
afterEach(async () => {
  await db.close();
  await tdb.drop();
});

it('creates the first admin once; the second run is a no-op and the password verifies', async () => {
  const input = { email: 'ops@example.com', password: 'correct horse battery' };
  const first = await bootstrapFirstAdmin(db, input);
  expect(first).toMatchObject({ created: true, email: 'ops@example.com' });

  const second = await bootstrapFirstAdmin(db, { ...input, email: 'someone-else@example.com' });
  expect(second).toEqual({ created: false, reason: 'admin_exists', existingAdmins: 1 });

  const list = await admins();
  expect(list.map((a) => a.email)).toEqual(['ops@example.com']);
  expect(await createPasswordHasher(1).verify(list[0]!.password_hash, input.password)).toBe(true);
});

it('two runs at once (a retried Job) create exactly one admin', async () => {
  // Hold the bootstrap's lock from outside until both runs wait for it, so both have passed their first
  // look ("no admin yet") before either may write: only the look under the lock keeps it to one admin.
  const holder = new Client({ connectionString: tdb.adminUrl });
  await holder.connect();
  try {
    await holder.query(`select pg_advisory_lock(hashtext('geminis.identity.bootstrap-admin'))`);
    const runs = Promise.all([
      bootstrapFirstAdmin(db, { email: 'a@example.com', password: 'first strong password' }),
      bootstrapFirstAdmin(db, { email: 'b@example.com', password: 'second strong password' }),
    ]);
    let waiting = 0;
    for (let i = 0; i < 600 && waiting < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const { rows: r } = await holder.query<{ n: number }>(
        `select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted
           and database = (select oid from pg_database where datname = current_database())`,
      );
      waiting = r[0]!.n;
    }
    expect(waiting).toBe(2);
    await holder.query(`select pg_advisory_unlock(hashtext('geminis.identity.bootstrap-admin'))`);
    const results = await runs;
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await admins()).toHaveLength(1);
  } finally {
    await holder.end();
  }
});

it.each([
  ['too short', 'short1'],
  ['a repetition', 'aaaaaaaaaaaaaaaa'],
  ['the email', 'ops-admin@example.com'],
])('refuses a weak password (%s) and writes nothing', async (_what, password) => {
  await expect(bootstrapFirstAdmin(db, { email: 'ops-admin@example.com', password })).rejects.toBeInstanceOf(
    ValidationError,
  );
  // Refused before the migrations ran: nothing at all was written.
  const admin = openPostgres({ url: tdb.adminUrl, applicationName: 'bootstrap-test' });
  try {
    const tables = await admin.transaction((tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from pg_tables where tablename = 'users'`),
    );
    expect(tables[0]!.n).toBe(0);
  } finally {
    await admin.close();
  }
});
