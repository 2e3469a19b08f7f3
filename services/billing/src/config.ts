import { secret } from '@geminis/service-kit';
import { z } from 'zod';

/** Billing's own environment variables (the shared ones — PORT, DATABASE_URL, JWT… — are the kit's). */
export const billingConfigShape = {
  /** Catalog's base URL: quotes (with the caller's token) and promotion reservations (service key). */
  CATALOG_URL: z.url().default('http://127.0.0.1:4002'),
  /** Per call to catalog. */
  CATALOG_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Master key of the tenants' payment credentials sealed at rest (Stripe keys, webhook secrets). */
  BILLING_ENCRYPTION_KEY: secret(32),
  /** Per call to Stripe. */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /**
   * Demo only: billing's clock runs this many days ahead of the real one (renewals, due dates, dunning),
   * and staff may move it further (POST /v1/billing-runs with advanceDays). Ignored, with a warning at
   * boot, when GEMINIS_MODE is production: there billing's clock is the real one and cannot be moved.
   */
  BILLING_CLOCK_OFFSET_DAYS: z.coerce.number().int().min(-3650).max(3650).default(0),
  /**
   * The live VIES check of clients' VAT ids: the REST endpoint
   * (https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number). Unset (the default): off, only
   * the format and check digits are checked. When VIES is down a profile is still saved (viesChecked false).
   */
  BILLING_VIES_URL: z.url().optional(),
  /** Per call to VIES. */
  BILLING_VIES_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
};

export type BillingEnvConfig = z.infer<z.ZodObject<typeof billingConfigShape>>;

/** What billingService needs (its entry maps the environment onto it; tests build it directly). */
export interface BillingConfig {
  catalogUrl: string;
  serviceKey: string;
  catalogTimeoutMs?: number;
  /** Seals tenants' payment credentials (32+ characters). */
  encryptionKey: string;
  stripeTimeoutMs?: number;
  /** The VIES REST endpoint of the live VAT id check; absent: off. */
  viesUrl?: string;
  viesTimeoutMs?: number;
  /** A promotion hold whose order never committed is released after this long (tests: 0). */
  holdStaleMs?: number;
  /** Schedule the renewal and dunning jobs (default true; tests drive them by hand). */
  lifecycleJobs?: boolean;
  /** Rows per set-based batch of the renewal and dunning jobs (default 500). */
  lifecycleBatchSize?: number;
  /** Clock for order dates, due dates and periods (tests). */
  now?: () => Date;
  /** A clock staff may move forward (the embedded demo's date override); absent in production. */
  demoClock?: DemoClock;
  /** A clock offset the environment asked for and production mode refused (logged at boot). */
  clockOffsetRefused?: number;
}

const DAY_MS = 86_400_000;

/** The demo's movable clock: the real time plus an offset in whole days that only ever grows. */
export interface DemoClock {
  now: () => Date;
  offsetDays: () => number;
  advance: (days: number) => void;
}

export function createDemoClock(offsetDays = 0, real: () => number = Date.now): DemoClock {
  let offset = offsetDays;
  return {
    now: () => new Date(real() + offset * DAY_MS),
    offsetDays: () => offset,
    advance(days: number) {
      offset += days;
    },
  };
}

export function billingConfigFrom(
  env: BillingEnvConfig,
  shared: { INTERNAL_SERVICE_KEY?: string | undefined; GEMINIS_MODE?: string | undefined },
): BillingConfig {
  const production = shared.GEMINIS_MODE === 'production';
  const offset = env.BILLING_CLOCK_OFFSET_DAYS ?? 0;
  const demoClock = production ? undefined : createDemoClock(offset);
  return {
    catalogUrl: env.CATALOG_URL,
    serviceKey: shared.INTERNAL_SERVICE_KEY!,
    catalogTimeoutMs: env.CATALOG_TIMEOUT_MS,
    encryptionKey: env.BILLING_ENCRYPTION_KEY!,
    stripeTimeoutMs: env.STRIPE_TIMEOUT_MS,
    ...(env.BILLING_VIES_URL
      ? { viesUrl: env.BILLING_VIES_URL, viesTimeoutMs: env.BILLING_VIES_TIMEOUT_MS }
      : {}),
    ...(demoClock ? { demoClock, now: demoClock.now } : {}),
    ...(production && offset !== 0 ? { clockOffsetRefused: offset } : {}),
  };
}
