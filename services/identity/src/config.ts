import { secret } from '@geminis/service-kit';
import { z } from 'zod';

/**
 * Identity's own environment variables. The shared ones (PORT, DATABASE_URL, AMQP_URL, JWT_ISSUER and
 * JWT_AUDIENCE — the `iss` and `aud` identity signs —, INTERNAL_SERVICE_KEY…) are the kit's.
 */
export const identityConfigShape = {
  /** Master key for data encrypted at rest (signing keys, secret settings, TOTP secrets). */
  IDENTITY_ENCRYPTION_KEY: secret(32),
  /** Concurrent argon2id hashes allowed (each ~19 MiB, one thread-pool slot). */
  IDENTITY_ARGON2_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
};

export type IdentityEnvConfig = z.infer<z.ZodObject<typeof identityConfigShape>>;

/** What identityService needs (its entry maps the environment onto it; tests build it directly). */
export interface IdentityConfig {
  issuer: string;
  audience: string;
  encryptionKey: string;
  argon2Concurrency?: number;
  /** Access token lifetime. Default 900 s. */
  accessTokenTtlSec?: number;
  /** Refresh token lifetime. Default 30 days. */
  refreshTokenTtlSec?: number;
  /** Failed logins before a temporary lockout. Default 5. */
  lockoutThreshold?: number;
  /** Lockout duration. Default 900 s. */
  lockoutSec?: number;
  /** Password reset token lifetime. Default 3600 s. */
  resetTokenTtlSec?: number;
  /** At most one "someone signed up with your e-mail" notice per account within this window. Default 3600 s. */
  signupNoticeWindowSec?: number;
  /** How long a storefront (slug or host) lookup is kept. Default 5000 ms. */
  tenantLookupCacheMs?: number;
}

export function identityConfigFrom(
  env: IdentityEnvConfig,
  shared: { JWT_ISSUER: string; JWT_AUDIENCE: string },
): IdentityConfig {
  return {
    issuer: shared.JWT_ISSUER,
    audience: shared.JWT_AUDIENCE,
    encryptionKey: env.IDENTITY_ENCRYPTION_KEY!,
    argon2Concurrency: env.IDENTITY_ARGON2_CONCURRENCY,
  };
}
