import { AccountCredentialsView, PROVISIONING_INTERNAL } from '@geminis/contracts';
import {
  ClientHttpError,
  createHttpClient,
  SERVICE_KEY_HEADER,
  UpstreamError,
  type Logger,
} from '@geminis/service-kit';

/**
 * A client service's panel login from provisioning's service-key route (never from an event), with the
 * kit's resilient client: a timeout, provisioning's breaker, retries (a GET). The answer is used to render
 * one mail and dropped: never stored, never logged.
 */
export function createProvisioningClient(deps: {
  baseUrl: string;
  serviceKey?: string;
  timeoutMs?: number;
  breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  logger?: Logger;
}) {
  const http = createHttpClient({
    name: 'provisioning',
    baseUrl: deps.baseUrl,
    timeoutMs: deps.timeoutMs ?? 5_000,
    ...(deps.breaker ? { breaker: deps.breaker } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  return {
    /** The login, or undefined while provisioning has no live account for the service (its 404). */
    async credentials(tenantId: string, serviceId: string): Promise<AccountCredentialsView | undefined> {
      try {
        const res = await http.request({
          method: 'GET',
          path: PROVISIONING_INTERNAL.serviceCredentials(tenantId, serviceId),
          headers: { [SERVICE_KEY_HEADER]: deps.serviceKey ?? '' },
        });
        const parsed = AccountCredentialsView.safeParse(res.body);
        if (!parsed.success)
          throw new UpstreamError(
            'support.provisioning_failed',
            'provisioning answered in an unexpected shape',
          );
        return parsed.data;
      } catch (err) {
        if (err instanceof ClientHttpError && err.status === 404) return undefined;
        throw err;
      }
    },
    shutdown: () => http.shutdown(),
  };
}

export type ProvisioningClient = ReturnType<typeof createProvisioningClient>;
