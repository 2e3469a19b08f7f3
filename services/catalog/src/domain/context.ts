import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  scopeFor,
  tenantScope,
  type AuthContext,
  type TenantScope,
  type SingleTenantScope,
} from '@geminis/service-kit';

export { PLATFORM_TENANT_ID };

/**
 * Scope of a read: admins see every tenant or narrow to one; resellers and clients always see their own
 * tenant, whatever they ask for (a client-supplied tenant id never widens a scope).
 */
export const readScope = (auth: AuthContext, requestedTenantId?: string): TenantScope =>
  scopeFor(auth, requestedTenantId);

/**
 * Tenant of a write: an admin writes the platform's catalog unless it names a tenant explicitly; a
 * reseller always writes its own. Never `all`.
 */
export function writeScope(auth: AuthContext, requestedTenantId?: string): SingleTenantScope {
  if (auth.role === 'admin') return tenantScope(requestedTenantId ?? PLATFORM_TENANT_ID);
  return tenantScope(auth.tenantId);
}

export const isPlatform = (tenantId: string) => tenantId === PLATFORM_TENANT_ID;
