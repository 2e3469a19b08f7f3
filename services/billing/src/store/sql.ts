import { type TenantScope } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';

/**
 * The application-level tenant filter (the first wall; RLS is the second). `all` only ever comes from an
 * admin without narrowing or from a named cross-tenant function.
 */
export const tenantIs = (scope: TenantScope, column = sql`tenant_id`): SQL =>
  scope.kind === 'all' ? sql`true` : sql`${column} = ${scope.tenantId}`;

/** The one tenant a write goes to: writes never run with the `all` scope. */
export function writeTenant(scope: TenantScope): string {
  if (scope.kind !== 'tenant') throw new Error('a write needs a single tenant');
  return scope.tenantId;
}

/** drizzle wraps the driver error; PostgreSQL's SQLSTATE and constraint are on it or on its cause. */
export function pgError(err: unknown): { code: string; constraint?: string } | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 4; depth += 1) {
    const x = e as { code?: string; constraint?: string; cause?: unknown };
    if (typeof x.code === 'string' && /^[0-9A-Z]{5}$/.test(x.code))
      return { code: x.code, ...(x.constraint ? { constraint: x.constraint } : {}) };
    e = x.cause;
  }
  return undefined;
}

export const isUniqueViolation = (err: unknown) => pgError(err)?.code === '23505';

export const json = (value: unknown): SQL => sql`${JSON.stringify(value)}::jsonb`;

/** A client's own rows only, when the viewer is a client (`client_id = …`); everything in scope otherwise. */
export const clientIs = (clientId: string | undefined, column = sql`client_id`): SQL =>
  clientId === undefined ? sql`true` : sql`${column} = ${clientId}`;

/** timestamptz as an ISO string, whatever the driver hands back. */
export const iso = (value: Date | string): string => new Date(value).toISOString();

/** date as YYYY-MM-DD (selected with ::text, so no time zone ever shifts it). */
export type DateText = string;
