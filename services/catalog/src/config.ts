import { type TokenVerifier } from '@geminis/service-kit';
import { z } from 'zod';

/** Catalog's own environment variables (the shared ones — PORT, DATABASE_URL, JWT… — are the kit's). */
export const catalogConfigShape = {
  /** Storefront currency when the caller does not ask for one. */
  CATALOG_DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('USD'),
  /**
   * Identity's base URL: whose client an id is, for a client catalog never heard of (service-key route;
   * asked only when INTERNAL_SERVICE_KEY is set).
   */
  IDENTITY_URL: z.url().default('http://127.0.0.1:4001'),
};

export type CatalogEnvConfig = z.infer<z.ZodObject<typeof catalogConfigShape>>;

/** What catalogService needs (its entry maps the environment onto it; tests build it directly). */
export interface CatalogConfig {
  defaultCurrency?: string;
  /**
   * Serve the service-key routes (/internal/v1/…, promotion reservations for billing); runService must
   * then be given the serviceKey.
   */
  internalRoutes?: boolean;
  /**
   * Verifies access tokens when `revocations` is not given (tests, or a process without identity's feed):
   * the public routes and the callers' tokens forwarded to the internal quote route. Without either, the
   * public routes use runService's verifier and the internal quote route is not served (it cannot check
   * the forwarded token).
   */
  verifier?: TokenVerifier;
  /**
   * Identity's service-key route that says whose client an id is: a quote naming a client catalog never
   * heard of asks it once. Without it such a client stays unknown (422 catalog.client_unknown).
   */
  identity?: {
    url: string;
    serviceKey: string;
    timeoutMs?: number;
    /** The breaker on identity (tests: a short reset). */
    breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  };
  /** Clock for promotion dates (tests). */
  now?: () => Date;
  /**
   * Refuse revoked access tokens (logout, password change, refresh-token reuse, suspensions), not only
   * at the gateway: catalog verifies tokens against identity's keys and its revocation feed.
   */
  revocations?: {
    identityUrl: string;
    serviceKey: string;
    jwksUri: string;
    issuer: string;
    audience: string;
    /** How often identity is asked again (default 5 s). */
    refreshMs?: number;
  };
}

export const catalogConfigFrom = (
  env: CatalogEnvConfig,
  shared: {
    INTERNAL_SERVICE_KEY?: string | undefined;
    JWKS_URL?: string | undefined;
    JWT_ISSUER?: string | undefined;
    JWT_AUDIENCE?: string | undefined;
  },
): CatalogConfig => ({
  defaultCurrency: env.CATALOG_DEFAULT_CURRENCY,
  internalRoutes: shared.INTERNAL_SERVICE_KEY !== undefined,
  ...(shared.INTERNAL_SERVICE_KEY
    ? { identity: { url: env.IDENTITY_URL, serviceKey: shared.INTERNAL_SERVICE_KEY } }
    : {}),
  // Identity publishes its keys at JWKS_URL; its revocation feed is on the same origin.
  ...(shared.INTERNAL_SERVICE_KEY && shared.JWKS_URL && shared.JWT_ISSUER && shared.JWT_AUDIENCE
    ? {
        revocations: {
          identityUrl: new URL(shared.JWKS_URL).origin,
          serviceKey: shared.INTERNAL_SERVICE_KEY,
          jwksUri: shared.JWKS_URL,
          issuer: shared.JWT_ISSUER,
          audience: shared.JWT_AUDIENCE,
        },
      }
    : {}),
});
