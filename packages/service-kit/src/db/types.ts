import { type SQL } from 'drizzle-orm';
import { type PgQueryResultHKT, type PgTransaction } from 'drizzle-orm/pg-core';
import { type TenantScope } from '../tenant';

/** A drizzle transaction: the only handle through which a service touches its database. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, unknown>, any>;

export interface Database {
  readonly kind: 'postgres' | 'pglite';
  /** Runs fn in a transaction with no tenant set: tenant-owned tables show no rows (RLS fails closed). */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** Runs fn in a transaction with the tenant set transaction-locally (never leaks to the next user). */
  withTenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * withTenant for a read of exactly ONE statement (a list, a lookup): the transaction is read-only and on
   * PostgreSQL its `begin`, tenant, statement and `commit` go as one query — one round trip instead of two.
   * A second statement is refused (it would run after the commit); a write fails (read-only).
   */
  readWithTenant<T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** LISTEN on a channel; notifications sent with pg_notify arrive only after their transaction commits. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  /** Runs a multi-statement SQL script (a migration) inside the transaction. */
  execScript(tx: Tx, script: string): Promise<void>;
  /** Readiness: resolves when a trivial query succeeds. */
  check(): Promise<void>;
  close(): Promise<void>;
}

/** Runs a raw query on a transaction and returns its rows. */
export async function rows<T>(tx: Tx, query: SQL): Promise<T[]> {
  const result: unknown = await tx.execute(query);
  return (result as { rows: T[] }).rows;
}

export class UnsafeDatabaseRoleError extends Error {
  constructor(role: string, reason: string) {
    super(
      `refusing to start: database role "${role}" ${reason}; row-level security would not apply. ` +
        'Connect as a role created with NOSUPERUSER NOBYPASSRLS.',
    );
    this.name = 'UnsafeDatabaseRoleError';
  }
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
export function assertIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name))
    throw new Error(`invalid ${what} "${name}": use lower-case letters, digits and _`);
  return name;
}
