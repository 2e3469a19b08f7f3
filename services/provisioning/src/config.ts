import { secret } from '@geminis/service-kit';
import { z } from 'zod';

/** Provisioning's own environment variables (the shared ones — PORT, DATABASE_URL, JWT… — are the kit's). */
export const provisioningConfigShape = {
  /** Master key for panel credentials and account passwords encrypted at rest (AES-256-GCM, HKDF). */
  PROVISIONING_ENCRYPTION_KEY: secret(32),
  /** How often the job runner looks for due jobs when it found none. */
  PROVISIONING_JOB_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  /** Attempts before a job fails visibly for staff. */
  PROVISIONING_JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** Jobs run at the same time by one replica. */
  PROVISIONING_JOB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Calls in flight towards one panel server at most (per replica). */
  PROVISIONING_PANEL_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** How often the state sync compares a batch of accounts per server with its panel. */
  PROVISIONING_SYNC_EVERY_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(5 * 60_000),
  /** Accounts compared per server per run (never all at once). */
  PROVISIONING_SYNC_PER_SERVER: z.coerce.number().int().min(1).max(1000).default(25),
  /** How often the usage sync reads disk and bandwidth of a batch of accounts per server. */
  PROVISIONING_USAGE_EVERY_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(60 * 60_000),
  /** Accounts whose usage is read per server per run (never all at once). */
  PROVISIONING_USAGE_PER_SERVER: z.coerce.number().int().min(1).max(1000).default(50),
  /** Catalog, for the domain prices shown next to a search (its public storefront route). */
  CATALOG_URL: z.url().optional(),
  /** How often the domain sync compares a batch of domains per registrar account with the registrar. */
  PROVISIONING_DOMAIN_SYNC_EVERY_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(60 * 60_000),
  /** Domains compared per registrar account per run (never all at once). */
  PROVISIONING_DOMAIN_SYNC_PER_ACCOUNT: z.coerce.number().int().min(1).max(1000).default(50),
  /** How long a pending transfer waits between two status reads. */
  PROVISIONING_TRANSFER_POLL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(10 * 60_000),
};

export type ProvisioningEnvConfig = z.infer<z.ZodObject<typeof provisioningConfigShape>>;

/** What provisioningService needs (its entry maps the environment onto it; tests build it directly). */
export interface ProvisioningConfig {
  encryptionKey: string;
  jobs?: {
    pollMs?: number;
    maxAttempts?: number;
    concurrency?: number;
    /** Backoff of a failed attempt: base · 2^attempt, capped, with full jitter. */
    baseDelayMs?: number;
    maxDelayMs?: number;
    /** How long a claimed job is held before another runner may take it over (a crashed worker). */
    leaseMs?: number;
    /** Tests drive the runner themselves. */
    autoStart?: boolean;
  };
  /** Per-call timeouts towards the panels (createacct is slow: minutes, not seconds). */
  panelTimeouts?: { defaultMs?: number; createMs?: number };
  /** The scheduled state sync (drift for staff); off: tests run it by hand. */
  sync?: { enabled?: boolean; everyMs?: number; perServer?: number };
  /** The scheduled usage sync (disk, bandwidth); off: tests run it by hand. */
  usage?: { enabled?: boolean; everyMs?: number; perServer?: number };
  /** Calls in flight towards one panel at most. Default 4. */
  panelConcurrency?: number;
  /** Domains: catalog for prices, the registrar timeout, the sync and the transfer polling. */
  domains?: {
    catalogUrl?: string;
    registrarTimeoutMs?: number;
    sync?: { enabled?: boolean; everyMs?: number; perAccount?: number };
    transferPollMs?: number;
    maxTransferPolls?: number;
    availabilityTtlMs?: number;
  };
  /** The per-server breaker towards the panels. */
  panelBreaker?: { volumeThreshold?: number; errorThresholdPercentage?: number; resetTimeoutMs?: number };
}

export const provisioningConfigFrom = (env: ProvisioningEnvConfig): ProvisioningConfig => ({
  encryptionKey: env.PROVISIONING_ENCRYPTION_KEY!,
  jobs: {
    pollMs: env.PROVISIONING_JOB_POLL_MS,
    maxAttempts: env.PROVISIONING_JOB_MAX_ATTEMPTS,
    concurrency: env.PROVISIONING_JOB_CONCURRENCY,
  },
  panelConcurrency: env.PROVISIONING_PANEL_CONCURRENCY,
  sync: { everyMs: env.PROVISIONING_SYNC_EVERY_MS, perServer: env.PROVISIONING_SYNC_PER_SERVER },
  usage: { everyMs: env.PROVISIONING_USAGE_EVERY_MS, perServer: env.PROVISIONING_USAGE_PER_SERVER },
  domains: {
    ...(env.CATALOG_URL ? { catalogUrl: env.CATALOG_URL } : {}),
    sync: {
      everyMs: env.PROVISIONING_DOMAIN_SYNC_EVERY_MS,
      perAccount: env.PROVISIONING_DOMAIN_SYNC_PER_ACCOUNT,
    },
    transferPollMs: env.PROVISIONING_TRANSFER_POLL_MS,
  },
});
