import { z } from 'zod';

/**
 * Internal identity lookups the gateway makes (never routed from outside):
 *   GET /internal/v1/tenants/by-host/:host  → TenantByHost (404 when no reseller owns the host)
 *   GET /internal/v1/tenants/:tenantId/brand → TenantBrand
 */
export const IDENTITY_INTERNAL = {
  tenantByHost: (host: string) => `/internal/v1/tenants/by-host/${encodeURIComponent(host)}`,
  tenantBrand: (tenantId: string) => `/internal/v1/tenants/${encodeURIComponent(tenantId)}/brand`,
} as const;

export const TenantByHost = z.object({
  tenantId: z.uuid(),
  slug: z.string(),
  brandName: z.string(),
  status: z.enum(['active', 'suspended']),
});
export type TenantByHost = z.infer<typeof TenantByHost>;

export const TenantBrand = z.object({
  tenantId: z.uuid(),
  brandName: z.string(),
  logoUrl: z.url().nullable(),
  supportEmail: z.email().nullable(),
  customDomains: z.array(z.string()),
});
export type TenantBrand = z.infer<typeof TenantBrand>;
