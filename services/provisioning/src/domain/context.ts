import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { scopeFor, type AuthContext, type TenantScope } from '@geminis/service-kit';

export { PLATFORM_TENANT_ID };

/**
 * Scope of a read: admins see every tenant or narrow to one; resellers and clients always see their own
 * tenant, whatever they ask for (a client-supplied tenant id never widens a scope).
 */
export const readScope = (auth: AuthContext, requestedTenantId?: string): TenantScope =>
  scopeFor(auth, requestedTenantId);

export type WriteScope = Extract<TenantScope, { kind: 'tenant' }>;

/** Tenant of a write: an admin writes the platform's unless it names a tenant; a reseller its own. */
export function writeScope(auth: AuthContext, requestedTenantId?: string): WriteScope {
  const tenantId = auth.role === 'admin' ? (requestedTenantId ?? PLATFORM_TENANT_ID) : auth.tenantId;
  return { kind: 'tenant', tenantId };
}
