import { type Database } from '../db/types';
import { allTenants } from '../tenant';

/**
 * The first wall alone: a Database whose `withTenant(scope, …)` (and `readWithTenant`) opens row-level security to every tenant
 * (the `all` setting), while the store functions still receive the caller's scope. A service run on it is
 * isolated only by its stores' own tenant filters, so a cross-tenant test that passes on the real
 * database and fails here has found a store that forgot its filter (RLS was hiding it). Tests only.
 */
export function withRowLevelSecurityOpened(db: Database): Database {
  return {
    ...db,
    withTenant: (_scope, fn) => db.withTenant(allTenants, fn),
    readWithTenant: (_scope, fn) => db.readWithTenant(allTenants, fn),
  };
}
