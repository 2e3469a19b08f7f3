import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Client, Pool } from 'pg';
import { withTenantOver } from './tenant-context';
import { assertIdentifier, rows, UnsafeDatabaseRoleError, type Database, type Tx } from './types';

export interface PostgresOptions {
  url: string;
  /** Pool size. Default 10. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/** Refuses roles that would make row-level security a no-op. */
export async function assertSafeRole(db: Database): Promise<void> {
  const [role] = await db.transaction((tx) =>
    rows<{ name: string; rolsuper: boolean; rolbypassrls: boolean }>(
      tx,
      sql`select current_user as name, rolsuper, rolbypassrls from pg_roles where rolname = current_user`,
    ),
  );
  if (!role) throw new UnsafeDatabaseRoleError('unknown', 'could not be inspected');
  if (role.rolsuper) throw new UnsafeDatabaseRoleError(role.name, 'is a superuser');
  if (role.rolbypassrls) throw new UnsafeDatabaseRoleError(role.name, 'has BYPASSRLS');
}

/** PostgreSQL over node-postgres: the production adapter. */
export function openPostgres(options: PostgresOptions): Database {
  const pool = new Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'geminis',
    connectionTimeoutMillis: 10_000,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener it would crash.
  pool.on('error', () => undefined);
  const orm = drizzle(pool);
  const listeners: Client[] = [];

  const transaction = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => orm.transaction((tx) => fn(tx as Tx));

  return {
    kind: 'postgres',
    transaction,
    withTenant: withTenantOver(transaction),
    async listen(channel, onNotify) {
      assertIdentifier(channel, 'channel');
      const client = new Client({ connectionString: options.url });
      client.on('error', () => undefined);
      await client.connect();
      client.on('notification', (n) => {
        if (n.channel === channel) onNotify(n.payload ?? '');
      });
      await client.query(`listen ${channel}`);
      listeners.push(client);
      return async () => {
        listeners.splice(listeners.indexOf(client), 1);
        await client.end().catch(() => undefined);
      };
    },
    async execScript(tx, script) {
      // node-postgres sends a query without parameters with the simple protocol: several statements are fine.
      await tx.execute(sql.raw(script));
    },
    async check() {
      await pool.query('select 1');
    },
    async close() {
      await Promise.all(listeners.splice(0).map((c) => c.end().catch(() => undefined)));
      await pool.end();
    },
  };
}
