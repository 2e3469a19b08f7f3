import { ForbiddenError } from '../errors';
import { allTenants, tenantScope, type AuthContext, type Role, type TenantScope } from '../tenant';

export interface NarrowingAudit {
  (entry: { userId: string; tenantId: string; reason: 'admin_narrowing' }): void;
}

/**
 * The tenant scope of a request, from the verified token only. Admins see all tenants, or narrow to one
 * with an explicit filter (audited); resellers and clients always get their own tenant, whatever filter
 * they send — a client-supplied tenant id never widens or moves a scope.
 */
export function scopeFor(auth: AuthContext, requestedTenantId?: string, audit?: NarrowingAudit): TenantScope {
  if (auth.role !== 'admin') return tenantScope(auth.tenantId);
  if (!requestedTenantId) return allTenants;
  audit?.({ userId: auth.userId, tenantId: requestedTenantId, reason: 'admin_narrowing' });
  return tenantScope(requestedTenantId);
}

export function requireRole(auth: AuthContext, ...roles: Role[]): void {
  if (!roles.includes(auth.role)) {
    throw new ForbiddenError('auth.forbidden', `this operation is not allowed for role ${auth.role}`);
  }
}
