/**
 * Which tenant's rows a unit of work may touch. Everything tenant-owned runs inside `withTenant(scope)`;
 * `all` exists only for platform admins (without narrowing) and cross-tenant jobs, and is chosen
 * explicitly by the caller, never derived from input.
 */
export type TenantScope = { kind: 'tenant'; tenantId: string } | { kind: 'all' };

/** A scope naming exactly one tenant: what every write takes. */
export type SingleTenantScope = Extract<TenantScope, { kind: 'tenant' }>;

export const tenantScope = (tenantId: string): SingleTenantScope => ({ kind: 'tenant', tenantId });
export const allTenants: TenantScope = { kind: 'all' };

export type Role = 'admin' | 'reseller' | 'client';

/** Who is calling, taken from a verified access token only. */
export interface AuthContext {
  userId: string;
  role: Role;
  tenantId: string;
  /** The token's `jti`. */
  tokenId: string;
  /** The token's `iat` (seconds since the epoch): the gateway refuses tokens issued before a revocation. */
  issuedAt: number;
  /** The token's `sid`: the session (refresh-token family) it belongs to, revoked by logout and the like. */
  sessionId?: string;
}
