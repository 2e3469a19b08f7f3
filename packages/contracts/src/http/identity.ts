import { z } from 'zod';

/**
 * Internal identity routes (never routed from outside by the gateway):
 *   GET /internal/v1/tenants/by-host/:host  → TenantByHost (404 when no reseller owns the host); public data
 *   GET /internal/v1/tenants/:tenantId/brand → TenantBrand; public data
 *   GET /internal/v1/tenants/:tenantId/password-resets/:resetId → PasswordResetToken, for the notifications
 *     side that emails the link after `identity.password_reset.requested.v1`; only with the shared service
 *     key in the `x-geminis-service-key` header; 404 once the reset is used, expired or replaced
 */
export const IDENTITY_INTERNAL = {
  tenantByHost: (host: string) => `/internal/v1/tenants/by-host/${encodeURIComponent(host)}`,
  tenantBrand: (tenantId: string) => `/internal/v1/tenants/${encodeURIComponent(tenantId)}/brand`,
  passwordResetToken: (tenantId: string, resetId: string) =>
    `/internal/v1/tenants/${encodeURIComponent(tenantId)}/password-resets/${encodeURIComponent(resetId)}`,
} as const;

export const PasswordResetToken = z.object({ resetId: z.uuid(), token: z.string().min(1) });
export type PasswordResetToken = z.infer<typeof PasswordResetToken>;

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
