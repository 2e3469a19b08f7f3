import { sql, type SQL } from 'drizzle-orm';
import { type SingleTenantScope, type TenantScope } from '../tenant';

/**
 * The application-level tenant filter (the first wall; RLS is the second — a store must never rely on
 * RLS alone). `all` only ever comes from an admin without narrowing or from a named cross-tenant job.
 * Tests run every service with RLS opened (testing/first-wall) so a store that forgets this fails.
 */
export const tenantIs = (scope: TenantScope, column: SQL = sql`tenant_id`): SQL =>
  scope.kind === 'all' ? sql`true` : sql`${column} = ${scope.tenantId}`;

/** The one tenant a write goes to: writes never run with the `all` scope. */
export function writeTenant(scope: TenantScope): string {
  if (scope.kind !== 'tenant') throw new Error('a write needs a single tenant');
  return scope.tenantId;
}

/** Narrows a scope to one tenant, or throws: for use cases that only make sense for one tenant. */
export function singleTenant(scope: TenantScope): SingleTenantScope {
  if (scope.kind !== 'tenant') throw new Error('this needs a single tenant');
  return scope;
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

/** The violated unique constraint's name (or 'unique'), or undefined when err is not a unique violation. */
export function uniqueViolation(err: unknown): string | undefined {
  const pg = pgError(err);
  return pg?.code === '23505' ? (pg.constraint ?? 'unique') : undefined;
}

export const isUniqueViolation = (err: unknown): boolean => uniqueViolation(err) !== undefined;
