import { sql } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import { Client, Pool, type PoolClient } from 'pg';
import { isTransientDatabaseError } from './errors';
import { tenantScopeStatement } from './tenant-context';
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

/**
 * With migrations run by a separate owner role (MIGRATION_DATABASE_URL), the runtime role must own none
 * of the service's tables: an owner can `ALTER TABLE … DISABLE ROW LEVEL SECURITY` or `NO FORCE` it, so a
 * runtime role that owns them could switch the tenant walls off itself.
 */
export async function assertOwnsNoTables(db: Database): Promise<void> {
  const owned = await db.transaction((tx) =>
    rows<{ name: string; tables: string[] }>(
      tx,
      sql`select current_user as name, coalesce(array_agg(tablename::text order by tablename), '{}') as tables
          from pg_tables where schemaname = current_schema() and tableowner = current_user`,
    ),
  );
  const [row] = owned;
  if (row && row.tables.length > 0)
    throw new UnsafeDatabaseRoleError(
      row.name,
      `owns tables (${row.tables.slice(0, 5).join(', ')}${row.tables.length > 5 ? ', …' : ''}) although migrations run as another role, so it could turn their row-level security off`,
    );
}

/** PostgreSQL over node-postgres: the production adapter. */
export function openPostgres(options: PostgresOptions): Database {
  const pool = new Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'geminis',
    connectionTimeoutMillis: 10_000,
  });
  // A client whose connection dies emits 'error'. The pool listens only while the client is idle; a client
  // checked out by a running transaction (terminated backend, PostgreSQL stopping) would emit it with no
  // listener and crash the process. Every client gets its own listener: the failure then reaches the
  // transaction as a rejected query, and the pool discards the broken client when it is released.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const listeners: Listener[] = [];

  // Not drizzle(pool).transaction: drizzle-orm 0.45 sends `begin` outside its try/finally, so a client whose
  // connection died (PostgreSQL restarted) is never released when `begin` fails. Each such failure leaked a
  // pool slot until every transaction waited forever. Here the client is always released, and discarded
  // (release(err)) when its connection failed, so the pool opens a fresh one.
  //
  // And a request's transaction costs as few round trips as it can: `begin` and the tenant's set_config go
  // as one simple-protocol query (`begin; select set_config(…)`), then the caller's statements, then
  // `commit`. A drizzle session is made once per pooled connection, not once per transaction.
  const dialect = new PgDialect();
  const sessions = new WeakMap<PoolClient, NodePgSession<Record<string, never>, never>>();
  const sessionOf = (client: PoolClient) => {
    let session = sessions.get(client);
    if (!session) {
      session = new NodePgSession(client, dialect, undefined);
      sessions.set(client, session);
    }
    return session;
  };
  const run = async <T>(begin: string, fn: (tx: Tx) => Promise<T>): Promise<T> => {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      let result: T;
      try {
        await client.query(begin);
        result = await fn(new NodePgTransaction(dialect, sessionOf(client), undefined));
      } catch (err) {
        // Also when `begin; set_config` failed half-way: the connection must not go back to the pool
        // inside an open (aborted) transaction. A connection that cannot even roll back is discarded.
        await client.query('rollback').catch((rollbackErr: unknown) => {
          broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        });
        throw err;
      }
      await client.query('commit');
      return result;
    } catch (err) {
      if (isTransientDatabaseError(err)) broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      client.release(broken);
    }
  };
  const transaction = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => run('begin', fn);

  return {
    kind: 'postgres',
    transaction,
    withTenant: async (scope, fn) => run(`begin; ${tenantScopeStatement(scope)}`, fn),
    async listen(channel, onNotify) {
      assertIdentifier(channel, 'channel');
      const listener = await openListener(options, channel, onNotify);
      listeners.push(listener);
      return async () => {
        listeners.splice(listeners.indexOf(listener), 1);
        await listener.close();
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
      await Promise.all(listeners.splice(0).map((l) => l.close()));
      await pool.end();
    },
  };
}

interface Listener {
  close(): Promise<void>;
}

/**
 * A LISTEN connection that comes back: when PostgreSQL restarts or the backend is terminated, it
 * reconnects with capped backoff and LISTENs again, then calls onNotify('') once, because notifications
 * sent while it was away are lost (the caller treats a notification as "look for work").
 */
async function openListener(
  options: PostgresOptions,
  channel: string,
  onNotify: (payload: string) => void,
): Promise<Listener> {
  let closed = false;
  let client: Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let attempt = 0;

  async function connect(): Promise<void> {
    const c = new Client({
      connectionString: options.url,
      application_name: `${options.applicationName ?? 'geminis'}:listen`,
      connectionTimeoutMillis: 10_000,
    });
    c.on('error', () => undefined);
    c.on('notification', (n) => {
      if (n.channel === channel) onNotify(n.payload ?? '');
    });
    c.on('end', () => {
      if (client !== c || closed) return;
      client = undefined;
      reconnectLater();
    });
    try {
      await c.connect();
      await c.query(`listen ${channel}`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (closed) {
      await c.end().catch(() => undefined);
      return;
    }
    client = c;
    attempt = 0;
  }

  function reconnectLater() {
    if (closed || timer) return;
    const delay = Math.min(5_000, 100 * 2 ** Math.min(attempt++, 10));
    timer = setTimeout(() => {
      timer = undefined;
      connect().then(
        () => onNotify(''),
        () => reconnectLater(),
      );
    }, delay);
  }

  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
