import { sql } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction, type NodePgClient } from 'drizzle-orm/node-postgres';
import { PgDialect } from 'drizzle-orm/pg-core';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { Client, escapeLiteral, Pool, types as pgTypes, type PoolClient, type QueryConfig } from 'pg';
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
  // And a request's transaction costs as few round trips as it can: `begin` and the tenant's set_config
  // are not sent on their own but in front of the transaction's first statement, as one simple-protocol
  // query (`begin; select set_config(…); <statement, its parameters inlined as quoted literals>`); then
  // the caller's other statements, then `commit`. A one-statement read is two round trips, not three.
  // A first statement that cannot be inlined (a named statement, a parameter that is not a string,
  // number, boolean or null) goes after `begin` as before. A drizzle session is made once per pooled
  // connection, not once per transaction.
  const dialect = new PgDialect();
  const connections = new WeakMap<PoolClient, Connection>();
  const connectionOf = (client: PoolClient): Connection => {
    let connection = connections.get(client);
    if (!connection) {
      connection = { client, begin: undefined, first: undefined, oneStatement: false } as Connection;
      // The session only ever calls `query` on its client (execute, and the builders' prepared queries).
      const deferring = deferringClient(connection);
      connection.session = leanSession(
        new NodePgSession(deferring as unknown as NodePgClient, dialect, undefined),
        deferring,
      );
      connections.set(client, connection);
    }
    return connection;
  };
  const run = async <T>(begin: string, fn: (tx: Tx) => Promise<T>, oneStatement = false): Promise<T> => {
    const client = await pool.connect();
    const connection = connectionOf(client);
    let broken: Error | undefined;
    try {
      let result: T;
      connection.begin = begin;
      connection.oneStatement = oneStatement;
      try {
        result = await fn(new NodePgTransaction(dialect, connection.session, undefined));
      } catch (err) {
        // Also when `begin; set_config` failed half-way: the connection must not go back to the pool
        // inside an open (aborted) transaction. A connection that cannot even roll back is discarded.
        // Nothing to roll back when no statement was sent.
        if (connection.begin === undefined)
          await client.query('rollback').catch((rollbackErr: unknown) => {
            broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
          });
        throw err;
      }
      // A transaction that sent no statement never began: nothing to commit. A one-statement read
      // committed with its statement.
      if (connection.begin === undefined && !connection.oneStatement) await client.query('commit');
      return result;
    } catch (err) {
      if (isTransientDatabaseError(err)) broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      connection.begin = undefined;
      connection.first = undefined;
      connection.oneStatement = false;
      client.release(broken);
    }
  };
  const transaction = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => run('begin', fn);

  return {
    kind: 'postgres',
    transaction,
    withTenant: async (scope, fn) => run(`begin; ${tenantScopeStatement(scope)}`, fn),
    readWithTenant: async (scope, fn) => run(`begin read only; ${tenantScopeStatement(scope)}`, fn, true),
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

/** What drizzle's node-postgres queries parse: dates, timestamps and intervals stay as PostgreSQL's text. */
const KEPT_AS_TEXT = new Set<number>([
  pgTypes.builtins.TIMESTAMPTZ,
  pgTypes.builtins.TIMESTAMP,
  pgTypes.builtins.DATE,
  pgTypes.builtins.INTERVAL,
  1231, // numeric[]
  1115, // timestamp[]
  1185, // timestamptz[]
  1187, // interval[]
  1182, // date[]
]);
const asText = (value: string) => value;
const DRIZZLE_TYPES = {
  getTypeParser: (typeId: number, format?: 'text' | 'binary') =>
    KEPT_AS_TEXT.has(typeId) ? asText : (pgTypes.getTypeParser(typeId, format) as (value: string) => unknown),
};

/**
 * `session` whose raw statements (`tx.execute(sql…)`, what every store's `rows()` sends) go straight to its
 * client: drizzle makes a prepared-query object per statement, with two query configs and their type
 * parser closures, for a statement run once. The answer is the same (the driver's result, parsed with
 * drizzle's type parsers, a failure wrapped in DrizzleQueryError); the query builders keep drizzle's path.
 */
function leanSession<S extends NodePgSession<Record<string, never>, never>>(
  session: S,
  client: { query: Query },
): S {
  const prepareQuery = session.prepareQuery.bind(session);
  session.prepareQuery = ((query, fields, name, ...rest) => {
    if (fields !== undefined || name !== undefined || rest[1] !== undefined)
      return prepareQuery(query, fields, name, ...rest);
    const { sql: text, params } = query;
    const prepared = {
      execute: () =>
        client.query({ text, types: DRIZZLE_TYPES } as QueryConfig, params).catch((err: unknown) => {
          throw new DrizzleQueryError(text, params, err as Error);
        }),
      mapResult: (result: unknown) => result,
      setToken: () => prepared,
    };
    return prepared as unknown as ReturnType<S['prepareQuery']>;
  }) as S['prepareQuery'];
  return session;
}

/** A pooled connection, its drizzle session, and the `begin` its running transaction has not sent yet. */
interface Connection {
  client: PoolClient;
  session: NodePgSession<Record<string, never>, never>;
  /** Set when a transaction starts; taken by its first statement. */
  begin: string | undefined;
  /** The first statement while it runs: the transaction's others wait for it (and fail with it). */
  first: Promise<unknown> | undefined;
  /** A one-statement read (readWithTenant): its statement carries the `commit` too; a second is refused. */
  oneStatement: boolean;
}

type Query = (config: QueryConfig | string, values?: unknown[]) => Promise<unknown>;

/**
 * What the drizzle session of `connection` queries through: the transaction's first statement takes the
 * pending `begin` with it (one query when its parameters can be inlined, `begin` then the statement
 * otherwise); a statement sent while the first still runs waits for it, so nothing ever runs outside the
 * transaction (and its tenant setting) when `begin` failed.
 */
function deferringClient(connection: Connection): { query: Query } {
  const { client } = connection;
  // Statements a transaction sends at once (Promise.all over a few reads) go one after another, as the
  // driver's own queue would send them: pg 8 deprecates queueing a query on a busy client (pg 9 drops it).
  let tail: Promise<unknown> = Promise.resolve();
  const send: Query = (config, values) => {
    const sent = tail.then(() => client.query(config as QueryConfig, values));
    tail = sent.catch(() => undefined);
    return sent;
  };
  const query: Query = (config, values) => {
    const begin = connection.begin;
    if (begin !== undefined) {
      connection.begin = undefined;
      const text = typeof config === 'string' ? config : config.text;
      const named = typeof config !== 'string' && config.name !== undefined;
      const inlined = named ? undefined : inlineParameters(text, values ?? []);
      // A one-statement read ends with its statement: `commit` rides in the same query (one round trip);
      // when it fails the transaction is left aborted, and the caller's rollback ends it as for any other.
      const commit = connection.oneStatement;
      const first =
        inlined === undefined
          ? send(begin)
              .then(() => send(config, values))
              .then((result) => (commit ? send('commit').then(() => result) : result))
          : send({
              ...(typeof config === 'string' ? {} : config),
              text: commit ? `${begin}; ${inlined}; commit` : `${begin}; ${inlined}`,
            }).then((result) =>
              Array.isArray(result) ? (result[result.length - (commit ? 2 : 1)] as unknown) : result,
            );
      const settled = first.then(() => {
        if (connection.first === settled) connection.first = undefined;
      });
      settled.catch(() => undefined); // the caller of the first statement gets its failure
      connection.first = settled;
      return first;
    }
    // Past its one statement a read has committed: another would run outside it (and its tenant).
    if (connection.oneStatement)
      return Promise.reject(new Error('readWithTenant runs exactly one statement; use withTenant for more'));
    if (connection.first) return connection.first.then(() => send(config, values));
    return send(config, values);
  };
  return { query };
}

/**
 * `text` with its `$n` placeholders replaced by `values` as quoted literals — of type unknown in
 * PostgreSQL, as an untyped parameter is, so the statement means the same (strings through pg's
 * escapeLiteral; numbers, bigints and booleans as their text; null and undefined as NULL). Undefined when
 * a value is of another kind (or a string with a NUL or longer than MAX_INLINED_STRING), or the text has what this scanner does not read (dollar quoting, E''
 * strings, nested comments): the statement then goes with its parameters as it is.
 */
/** The longest string parameter inlined into a transaction's first statement (longer: sent as a parameter). */
export const MAX_INLINED_STRING = 1024;

export function inlineParameters(text: string, values: unknown[]): string | undefined {
  if (values.length === 0) return text;
  const literals: string[] = [];
  for (const value of values) {
    if (value === null || value === undefined) literals.push('NULL');
    else if (typeof value === 'string') {
      // A NUL would end the query's text in the protocol: such a value goes as a parameter (and fails there).
      // A long one (an inbox batch's JSON) too: escapeLiteral walks it character by character, which costs
      // more node CPU than the round trip it saves.
      if (value.length > MAX_INLINED_STRING || value.includes('\u0000')) return undefined;
      literals.push(escapeLiteral(value));
    } else if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
      literals.push(`'${String(value)}'`);
    else return undefined;
  }
  let out = '';
  let from = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      if (c === "'" && (text[i - 1] === 'e' || text[i - 1] === 'E')) return undefined;
      const end = text.indexOf(c, i + 1); // a doubled quote ('' or "") reads as two adjacent quoted parts
      if (end === -1) return undefined;
      i = end + 1;
    } else if (c === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end === -1 || text.slice(i + 2, end).includes('/*')) return undefined;
      i = end + 2;
    } else if (c === '$') {
      if (/[A-Za-z0-9_]/.test(text[i - 1] ?? '')) return undefined; // a `$` inside an identifier
      const digits = /^\$(\d+)/.exec(text.slice(i, i + 8));
      if (!digits) return undefined; // dollar quoting
      const literal = literals[Number(digits[1]) - 1];
      if (literal === undefined) return undefined;
      out += text.slice(from, i) + literal;
      i += digits[0].length;
      from = i;
    } else i++;
  }
  return out + text.slice(from);
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
