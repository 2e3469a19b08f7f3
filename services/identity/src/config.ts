import { baseConfig, loadConfigOrExit, processEnv, secret } from '@geminis/service-kit';
import { z } from 'zod';

export const identityConfigShape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(0).max(65535).default(4001),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url().optional(),
  AMQP_URL: z.string().url().optional(),
  /** `iss` of every access token. */
  IDENTITY_ISSUER: z.string().min(1).default('https://identity.geminis.local'),
  /** `aud` of every access token. */
  IDENTITY_AUDIENCE: z.string().min(1).default('geminis'),
  /** Master key for data encrypted at rest (signing keys, secret settings, TOTP secrets). */
  IDENTITY_ENCRYPTION_KEY: secret(32),
  /** Shared key other Geminis services present on identity's service-only internal routes. */
  INTERNAL_SERVICE_KEY: secret(32),
  /** Concurrent argon2id hashes allowed (each ~19 MiB, one thread-pool slot). */
  IDENTITY_ARGON2_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
};

export type IdentityEnvConfig = z.infer<z.ZodObject<typeof identityConfigShape>>;

/** What identityService needs (main.ts maps the environment onto it; tests build it directly). */
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
}

export const loadIdentityConfig = (env = processEnv()) =>
  loadConfigOrExit('identity', identityConfigShape, env);

export function identityConfigFrom(env: IdentityEnvConfig): IdentityConfig {
  return {
    issuer: env.IDENTITY_ISSUER,
    audience: env.IDENTITY_AUDIENCE,
    encryptionKey: env.IDENTITY_ENCRYPTION_KEY!,
    argon2Concurrency: env.IDENTITY_ARGON2_CONCURRENCY,
  };
}
