import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { type AuthContext } from '@geminis/service-kit';

export { PLATFORM_TENANT_ID };

/** Who acts and from where: the verified token plus the request's address, for the audit log. */
export interface Actor {
  auth: AuthContext;
  ip?: string | undefined;
}

/** The tenant a public request (login, sign-up, reset) addresses: resolved from host or slug, never a header. */
export interface TenantRef {
  tenantId: string;
  /** The reseller behind it; undefined for the platform. */
  reseller?: { id: string; status: 'active' | 'suspended' };
}
