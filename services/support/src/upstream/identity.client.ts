import { IDENTITY_INTERNAL, PasswordResetToken, TenantBrand } from '@geminis/contracts';
import {
  ClientHttpError,
  createHttpClient,
  SERVICE_KEY_HEADER,
  UpstreamError,
  type Logger,
} from '@geminis/service-kit';
import { type Brand } from '../store/mail.store';

/**
 * A tenant's public brand from identity (`GET /internal/v1/tenants/:id/brand`: name, logo, support
 * address), with the kit's resilient client: a timeout, identity's breaker, retries (a GET).
 */
export function createIdentityClient(deps: {
  baseUrl: string;
  /** The shared key of identity's service-only routes (the live token of a password reset). */
  serviceKey?: string;
  timeoutMs?: number;
  logger?: Logger;
}) {
  const http = createHttpClient({
    name: 'identity',
    baseUrl: deps.baseUrl,
    timeoutMs: deps.timeoutMs ?? 5_000,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return {
    async brand(tenantId: string): Promise<Brand> {
      const res = await http.request({ method: 'GET', path: IDENTITY_INTERNAL.tenantBrand(tenantId) });
      const parsed = TenantBrand.safeParse(res.body);
      if (!parsed.success)
        throw new UpstreamError('support.identity_failed', 'identity answered in an unexpected shape');
      const { brandName, logoUrl, supportEmail, customDomains } = parsed.data;
      return { brandName, logoUrl, supportEmail, storefrontHost: customDomains[0] ?? null };
    },
    /** The token of a live reset, or undefined once it is used, expired or replaced (identity's 404). */
    async resetToken(tenantId: string, resetId: string): Promise<string | undefined> {
      try {
        const res = await http.request({
          method: 'GET',
          path: IDENTITY_INTERNAL.passwordResetToken(tenantId, resetId),
          headers: { [SERVICE_KEY_HEADER]: deps.serviceKey ?? '' },
        });
        const parsed = PasswordResetToken.safeParse(res.body);
        if (!parsed.success)
          throw new UpstreamError('support.identity_failed', 'identity answered in an unexpected shape');
        return parsed.data.token;
      } catch (err) {
        if (err instanceof ClientHttpError && err.status === 404) return undefined;
        throw err;
      }
    },
    shutdown: () => http.shutdown(),
  };
}

export type IdentityClient = ReturnType<typeof createIdentityClient>;
