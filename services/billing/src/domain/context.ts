import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { scopeFor, tenantScope, type AuthContext, type TenantScope } from '@geminis/service-kit';

export { PLATFORM_TENANT_ID };

/**
 * Who sees what: a client only its own rows (`clientId`), a reseller its tenant's, an admin every tenant
 * or one it names. A client-supplied tenant id never widens a scope (scopeFor ignores it for non-admins).
 */
export interface Viewer {
  scope: TenantScope;
  clientId?: string;
}

export function viewerOf(auth: AuthContext, requestedTenantId?: string): Viewer {
  if (auth.role === 'client') return { scope: tenantScope(auth.tenantId), clientId: auth.userId };
  return { scope: scopeFor(auth, requestedTenantId) };
}

/** The single tenant staff act in: a reseller its own; an admin the platform unless it names one. */
export function staffTenantOf(auth: AuthContext, requestedTenantId?: string): string {
  if (auth.role === 'admin') return requestedTenantId ?? PLATFORM_TENANT_ID;
  return auth.tenantId;
}
