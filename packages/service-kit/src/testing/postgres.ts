import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

const TEST_ROLE = 'geminis_test';

export interface TestDatabase {
  /** URL for the non-superuser, non-BYPASSRLS role that owns the database. */
  url: string;
  /** Same database as the superuser (for tests that must inspect or sabotage it). */
  adminUrl: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  // Read by tests only; test/setup-env.js provides the default.
  // eslint-disable-next-line no-restricted-properties
  const url = process.env.TEST_PG_ADMIN_URL;
  if (!url) throw new Error('TEST_PG_ADMIN_URL is not set');
  return url;
}

function withDatabase(url: string, database: string, user?: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
}

async function asAdmin<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A throwaway database per test file, owned by an ordinary role (RLS applies to it). */
export async function createTestDatabase(prefix = 'gm_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await asAdmin(async (c) => {
    await c
      .query(
        `DO $$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${TEST_ROLE}') THEN
             CREATE ROLE ${TEST_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS;
           END IF;
         END $$`,
      )
      .catch((err: { code?: string }) => {
        if (err.code !== '23505' && err.code !== '42710') throw err; // created concurrently by another file
      });
    await c.query(`CREATE DATABASE ${name} OWNER ${TEST_ROLE}`);
  });
  return {
    name,
    url: withDatabase(adminUrl(), name, TEST_ROLE),
    adminUrl: withDatabase(adminUrl(), name),
    drop: () => asAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined)),
  };
}
