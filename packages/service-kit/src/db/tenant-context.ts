import { sql } from 'drizzle-orm';
import { type TenantScope } from '../tenant';
import { type Tx } from './types';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Sets the tenant for the current transaction only (`set_config(..., true)` = SET LOCAL), so a pooled
 * connection never carries it into the next transaction. The RLS policy reads these settings.
 */
export async function applyTenantScope(tx: Tx, scope: TenantScope): Promise<void> {
  if (scope.kind === 'all') {
    await tx.execute(sql`select set_config('app.all_tenants', 'on', true)`);
    return;
  }
  if (!UUID.test(scope.tenantId)) throw new Error('tenant id must be a UUID');
  await tx.execute(sql`select set_config('app.tenant_id', ${scope.tenantId}, true)`);
}

/**
 * The statement that sets `scope` for the current transaction, as text with the tenant inlined (checked
 * to be a UUID first, so nothing but hex digits and dashes reaches the SQL): the PostgreSQL adapter sends
 * it in one simple-protocol query with `begin`, so a tenant transaction costs no round trip of its own.
 */
export function tenantScopeStatement(scope: TenantScope): string {
  if (scope.kind === 'all') return `select set_config('app.all_tenants', 'on', true)`;
  if (!UUID.test(scope.tenantId)) throw new Error('tenant id must be a UUID');
  return `select set_config('app.tenant_id', '${scope.tenantId}', true)`;
}

type Transaction = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;

/** `withTenant` for any adapter: its own transaction, with the tenant applied first. */
export const withTenantOver =
  (transaction: Transaction) =>
  <T>(scope: TenantScope, fn: (tx: Tx) => Promise<T>): Promise<T> =>
    transaction(async (tx) => {
      await applyTenantScope(tx, scope);
      return fn(tx);
    });
