import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  scopeFor,
  tenantScope,
  type AuthContext,
  type SingleTenantScope,
  type TenantScope,
} from '@geminis/service-kit';

export { PLATFORM_TENANT_ID };

/**
 * Whose tickets a caller sees: admins every tenant (or the one they name), resellers their tenant, clients
 * their tenant and, within it, only their own tickets. Nothing in the request widens a scope.
 */
export interface Viewer {
  scope: TenantScope;
  /** Set for clients: only this client's tickets, and never an internal note. */
  clientId?: string;
}

export const viewerOf = (auth: AuthContext, requestedTenantId?: string): Viewer =>
  auth.role === 'client'
    ? { scope: tenantScope(auth.tenantId), clientId: auth.userId }
    : { scope: scopeFor(auth, requestedTenantId) };

export const isStaff = (auth: AuthContext) => auth.role !== 'client';

/** Tenant of a staff write: the admin writes the platform's unless it names a tenant; a reseller its own. */
export function writeScope(auth: AuthContext, requestedTenantId?: string): SingleTenantScope {
  if (auth.role === 'admin') return tenantScope(requestedTenantId ?? PLATFORM_TENANT_ID);
  return tenantScope(auth.tenantId);
}

export const isPlatform = (tenantId: string) => tenantId === PLATFORM_TENANT_ID;
