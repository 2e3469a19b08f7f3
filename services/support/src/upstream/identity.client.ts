import { IDENTITY_INTERNAL, TenantBrand } from '@geminis/contracts';
import { createHttpClient, UpstreamError, type Logger } from '@geminis/service-kit';
import { type Brand } from '../store/mail.store';

/**
 * A tenant's public brand from identity (`GET /internal/v1/tenants/:id/brand`: name, logo, support
 * address), with the kit's resilient client: a timeout, identity's breaker, retries (a GET).
 */
export function createIdentityClient(deps: { baseUrl: string; timeoutMs?: number; logger?: Logger }) {
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
      const { brandName, logoUrl, supportEmail } = parsed.data;
      return { brandName, logoUrl, supportEmail };
    },
    shutdown: () => http.shutdown(),
  };
}

export type IdentityClient = ReturnType<typeof createIdentityClient>;
