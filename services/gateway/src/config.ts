import { SERVICES, serviceUrlVariable, type ServiceName } from '@geminis/contracts';
import { baseConfig, loadConfigOrExit, processEnv, secret } from '@geminis/service-kit';
import { z } from 'zod';

const list = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

type UpstreamUrls = { [N in ServiceName as `${Uppercase<N>}_URL`]: z.ZodOptional<z.ZodURL> };
const upstreamUrls = Object.fromEntries(
  SERVICES.map((s) => [serviceUrlVariable(s.name), z.url().optional()]),
) as UpstreamUrls;

export const gatewayConfigShape = {
  ...baseConfig,
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  /** IDENTITY_URL, CATALOG_URL…: one per service of the service list; a service without one is not routed. */
  ...upstreamUrls,
  JWT_ISSUER: z.string().default('https://identity.geminis.local'),
  JWT_AUDIENCE: z.string().default('geminis'),
  /** Defaults to identity's /.well-known/jwks.json. */
  JWKS_URL: z.url().optional(),
  /** Hosts that serve the platform's own storefront (anything else must be a reseller's domain). */
  PLATFORM_HOSTS: list.default(['localhost', '127.0.0.1']),
  /** Origins of the platform's panels allowed by CORS (resellers' domains are added automatically). */
  CORS_ORIGINS: list,
  /** A shared rate-limit store for several gateway replicas; memory when unset. */
  REDIS_URL: z.url().optional(),
  AMQP_URL: z.url().optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().positive().default(1_048_576),
  UPSTREAM_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  /**
   * Identity's service key: the gateway asks identity, when it starts, whose tokens were revoked within
   * the last ACCESS_TOKEN_MAX_AGE_SEC (suspended users and resellers); later ones arrive as events.
   */
  INTERNAL_SERVICE_KEY: secret(32),
  /** The longest an access token lives: identity's access-token lifetime (900 s) or more. */
  ACCESS_TOKEN_MAX_AGE_SEC: z.coerce.number().int().positive().default(900),
  HOST_CACHE_TTL_MS: z.coerce.number().int().positive().default(30_000),
  AUTH_RATE_PER_MINUTE: z.coerce.number().int().positive().default(30),
  /** Per user (per IP for anonymous storefront calls). */
  API_RATE_PER_MINUTE: z.coerce.number().int().positive().default(1200),
  /** Per tenant over all its clients together (staff are not counted in it); 10 × API_RATE_PER_MINUTE when unset. */
  TENANT_RATE_PER_MINUTE: z.coerce.number().int().positive().optional(),
  /**
   * Proxies in front of the gateway (addresses, CIDR ranges or `loopback`, comma-separated) whose
   * X-Forwarded-For is believed for the client's address. Unset: none is.
   */
  TRUSTED_PROXIES: list,
  /** Hosts remembered by the storefront's host cache (found or not); the oldest go first. */
  HOST_CACHE_MAX_ENTRIES: z.coerce.number().int().positive().default(10_000),
};

export type GatewayConfig = z.infer<z.ZodObject<typeof gatewayConfigShape>>;

export const loadGatewayConfig = (env = processEnv()) =>
  loadConfigOrExit('gateway', gatewayConfigShape, env).config;
