import { createHttpClient, type Logger } from '@geminis/service-kit';

/** What the live VIES check said of a VAT id. */
export type ViesOutcome = 'valid' | 'invalid' | 'unavailable';

/** The live VIES check of a VAT id (a pluggable call: absent when BILLING_VIES_URL is unset). */
export interface ViesChecker {
  check(vatId: string): Promise<ViesOutcome>;
  shutdown(): void;
}

/** VIES's REST answer (check-vat-number); `userError` names a member state's outage (MS_UNAVAILABLE, …). */
interface ViesAnswer {
  valid?: unknown;
  userError?: unknown;
}

/**
 * The European Commission's VIES REST API: `POST {countryCode, vatNumber}` → `{ valid, userError, name, … }`
 * (https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number). Through the kit's client: a timeout,
 * a breaker of its own and retries (a check changes nothing, so it is safe to repeat). Whatever goes wrong
 * — VIES or the member state's register down, an open breaker, an answer of another shape — is
 * 'unavailable': never a reason to refuse a profile (the format check still applies).
 */
export function createViesClient(options: { url: string; timeoutMs?: number; logger?: Logger }): ViesChecker {
  const http = createHttpClient({
    name: 'vies',
    baseUrl: options.url,
    timeoutMs: options.timeoutMs ?? 5_000,
    retry: { retries: 1 },
    breaker: { volumeThreshold: 5, resetTimeoutMs: 60_000 },
    ...(options.logger ? { logger: options.logger } : {}),
  });
  return {
    async check(vatId: string): Promise<ViesOutcome> {
      // VIES knows Greece as EL (jsvat and our ids say EL too); the number is the rest of the id
      const countryCode = vatId.slice(0, 2);
      const vatNumber = vatId.slice(2);
      try {
        const res = await http.request({
          method: 'POST',
          path: '',
          idempotent: true,
          body: { countryCode, vatNumber },
        });
        const body = (res.body ?? {}) as ViesAnswer;
        if (typeof body.userError === 'string' && !['VALID', 'INVALID'].includes(body.userError))
          return 'unavailable';
        if (typeof body.valid !== 'boolean') return 'unavailable';
        return body.valid ? 'valid' : 'invalid';
      } catch (err) {
        options.logger?.warn({ err, countryCode }, 'VIES check unavailable; the VAT id is saved unchecked');
        return 'unavailable';
      }
    },
    shutdown: () => http.shutdown(),
  };
}
