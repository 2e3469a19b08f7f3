import { baseConfig, loadConfigOrExit, processEnv, secret } from '@geminis/service-kit';
import { z } from 'zod';

export const billingConfigShape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(0).max(65535).default(4003),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.url().optional(),
  AMQP_URL: z.url().optional(),
  /** Where identity publishes its signing keys. */
  JWKS_URL: z.url().default('http://127.0.0.1:4001/.well-known/jwks.json'),
  JWT_ISSUER: z.string().min(1).default('https://identity.geminis.local'),
  JWT_AUDIENCE: z.string().min(1).default('geminis'),
  /** Catalog's base URL: quotes (with the caller's token) and promotion reservations (service key). */
  CATALOG_URL: z.url().default('http://127.0.0.1:4002'),
  /** Per call to catalog. */
  CATALOG_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Shared key billing presents on catalog's service-only routes. */
  INTERNAL_SERVICE_KEY: secret(32),
  /** Master key of the tenants' payment credentials sealed at rest (Stripe keys, webhook secrets). */
  BILLING_ENCRYPTION_KEY: secret(32),
  /** Per call to Stripe. */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
};

export type BillingEnvConfig = z.infer<z.ZodObject<typeof billingConfigShape>>;

/** What billingService needs (main.ts maps the environment onto it; tests build it directly). */
export interface BillingConfig {
  catalogUrl: string;
  serviceKey: string;
  catalogTimeoutMs?: number;
  /** Seals tenants' payment credentials (32+ characters). */
  encryptionKey: string;
  stripeTimeoutMs?: number;
  /** A promotion hold whose order never committed is released after this long (tests: 0). */
  holdStaleMs?: number;
  /** Clock for order dates, due dates and periods (tests). */
  now?: () => Date;
}

export const loadBillingConfig = (env = processEnv()) => loadConfigOrExit('billing', billingConfigShape, env);

export const billingConfigFrom = (env: BillingEnvConfig): BillingConfig => ({
  catalogUrl: env.CATALOG_URL,
  serviceKey: env.INTERNAL_SERVICE_KEY!,
  catalogTimeoutMs: env.CATALOG_TIMEOUT_MS,
  encryptionKey: env.BILLING_ENCRYPTION_KEY!,
  stripeTimeoutMs: env.STRIPE_TIMEOUT_MS,
});
