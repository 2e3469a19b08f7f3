import {
  ClientHttpError,
  createHttpClient,
  SERVICE_KEY_HEADER,
  UnavailableError,
  type Logger,
} from '@geminis/service-kit';
import { ClientTenant, IDENTITY_INTERNAL } from '@geminis/contracts';

/** Every way identity cannot answer: the quote is briefly unavailable (503 + Retry-After), not refused. */
const identityUnavailable = (cause?: unknown) =>
  new UnavailableError(
    'catalog.identity_unavailable',
    'the client cannot be checked at the moment: try again shortly',
    { retryAfterSeconds: 5, ...(cause !== undefined ? { cause } : {}) },
  );

/**
 * Whose client an id is, from identity's service-key route, with the kit's resilient client (a timeout,
 * identity's breaker, retries: a GET). Catalog asks only for a client it never heard of.
 */
export function createIdentityClient(deps: {
  baseUrl: string;
  serviceKey: string;
  timeoutMs?: number;
  breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  logger?: Logger;
}) {
  const http = createHttpClient({
    name: 'identity',
    baseUrl: deps.baseUrl,
    timeoutMs: deps.timeoutMs ?? 3_000,
    ...(deps.breaker ? { breaker: deps.breaker } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return {
    /** The client's tenant, or undefined when identity has no such client (its 404). */
    async clientTenant(clientId: string): Promise<ClientTenant | undefined> {
      let body: unknown;
      try {
        body = (
          await http.request({
            method: 'GET',
            path: IDENTITY_INTERNAL.client(clientId),
            headers: { [SERVICE_KEY_HEADER]: deps.serviceKey },
          })
        ).body;
      } catch (err) {
        if (err instanceof ClientHttpError && err.status === 404) return undefined;
        // Down, timing out, its breaker open — or refusing our key (misconfigured): not the caller's fault.
        deps.logger?.warn({ err }, 'identity could not say whose client an id is');
        throw identityUnavailable(err);
      }
      const parsed = ClientTenant.safeParse(body);
      if (!parsed.success || parsed.data.clientId.toLowerCase() !== clientId.toLowerCase())
        throw identityUnavailable();
      return parsed.data;
    },
    shutdown: () => http.shutdown(),
  };
}

export type IdentityClient = ReturnType<typeof createIdentityClient>;
