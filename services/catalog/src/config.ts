import { baseConfig, loadConfigOrExit, processEnv } from '@geminis/service-kit';
import { z } from 'zod';

export const catalogConfigShape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(0).max(65535).default(4002),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.url().optional(),
  AMQP_URL: z.url().optional(),
  /** Where identity publishes its signing keys. */
  JWKS_URL: z.url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('https://identity.geminis.local'),
  JWT_AUDIENCE: z.string().min(1).default('geminis'),
  /** Storefront currency when the caller does not ask for one. */
  CATALOG_DEFAULT_CURRENCY: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .default('USD'),
  /** Shared key billing presents on the promotion-reservation routes; without it they are not served. */
  INTERNAL_SERVICE_KEY: z.string().min(32).optional(),
};

export type CatalogEnvConfig = z.infer<z.ZodObject<typeof catalogConfigShape>>;

/** What catalogService needs (main.ts maps the environment onto it; tests build it directly). */
export interface CatalogConfig {
  defaultCurrency?: string;
  /**
   * Serve the service-key routes (/internal/v1/…, promotion reservations for billing); runService must
   * then be given the serviceKey.
   */
  internalRoutes?: boolean;
  /** Clock for promotion dates (tests). */
  now?: () => Date;
}

export const loadCatalogConfig = (env = processEnv()) => loadConfigOrExit('catalog', catalogConfigShape, env);

export const catalogConfigFrom = (env: CatalogEnvConfig): CatalogConfig => ({
  defaultCurrency: env.CATALOG_DEFAULT_CURRENCY,
  internalRoutes: env.INTERNAL_SERVICE_KEY !== undefined,
});
