import { randomUUID } from 'node:crypto';
import { SERVICES, serviceUrlVariable } from '@geminis/contracts';
import { hostname } from 'node:os';
import {
  cachedVerifier,
  createTokenVerifier,
  type Bus,
  type Logger,
  type Subscription,
} from '@geminis/service-kit';
import Redis from 'ioredis';
import { type Express } from 'express';
import { createGatewayApp } from './app';
import { type GatewayConfig } from './config';
import { createUpstream, type Upstream } from './proxy';
import { createRateLimits } from './rate-limit';
import { type UpstreamName } from './route-table';
import { createRevocations } from './revocations';
import { createTenantResolver } from './tenant-resolver';

/** A name no other running replica has: the host (a pod's name in Kubernetes), the pid and a random part. */
function instanceId(): string {
  return `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
}

export interface BuiltGateway {
  app: Express;
  close(): Promise<void>;
}

/** Wires the gateway from its configuration: upstreams, token verifier, host resolver, limits, events. */
export async function buildGateway(deps: {
  config: GatewayConfig;
  logger: Logger;
  bus?: Bus;
  /** This replica's name among the gateway's replicas (its cache-invalidation queue); unique by default. */
  instance?: string;
}): Promise<BuiltGateway> {
  const { config, logger } = deps;
  const upstreams: Partial<Record<UpstreamName, Upstream>> = {};
  for (const { name } of SERVICES) {
    const url = config[serviceUrlVariable(name)];
    if (url) {
      upstreams[name] = createUpstream({
        name,
        baseUrl: url,
        timeoutMs: config.UPSTREAM_TIMEOUT_MS,
        bodyLimitBytes: config.BODY_LIMIT_BYTES,
      });
    }
  }
  const jwksUri =
    config.JWKS_URL ?? (config.IDENTITY_URL ? `${config.IDENTITY_URL}/.well-known/jwks.json` : undefined);
  if (!jwksUri) throw new Error('the gateway needs IDENTITY_URL or JWKS_URL to verify tokens');
  const verifier = cachedVerifier(
    createTokenVerifier({ issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, jwksUri }),
  );
  const resolver = createTenantResolver({
    identityUrl: config.IDENTITY_URL ?? 'http://identity.invalid',
    platformHosts: config.PLATFORM_HOSTS,
    ttlMs: config.HOST_CACHE_TTL_MS,
    maxEntries: config.HOST_CACHE_MAX_ENTRIES,
  });
  const redis = config.REDIS_URL ? new Redis(config.REDIS_URL, { enableOfflineQueue: false }) : undefined;
  redis?.on('error', (err) => logger.warn({ err }, 'redis error'));
  const limits = createRateLimits({
    authPerMinute: config.AUTH_RATE_PER_MINUTE,
    apiPerMinute: config.API_RATE_PER_MINUTE,
    ...(config.TENANT_RATE_PER_MINUTE ? { tenantPerMinute: config.TENANT_RATE_PER_MINUTE } : {}),
    ...(redis ? { redis } : {}),
  });
  const revocationSource =
    config.IDENTITY_URL && config.INTERNAL_SERVICE_KEY
      ? { identityUrl: config.IDENTITY_URL, serviceKey: config.INTERNAL_SERVICE_KEY }
      : undefined;
  const revocations = createRevocations({
    windowMs: config.ACCESS_TOKEN_MAX_AGE_SEC * 1000,
    logger,
    ...revocationSource,
  });
  const subscriptions: Subscription[] = [];
  if (deps.bus) {
    const instance = deps.instance ?? instanceId();
    subscriptions.push(await resolver.subscribe(deps.bus, instance));
    // Listening before loading: a suspension between the two is heard, never missed.
    subscriptions.push(await revocations.subscribe(deps.bus, instance));
  }
  if (revocationSource) await revocations.loadUntilDone();

  const app = createGatewayApp({
    logger,
    verifier,
    upstreams,
    resolver,
    limits,
    corsOrigins: config.CORS_ORIGINS,
    revocations,
    trustedProxies: config.TRUSTED_PROXIES,
  });
  return {
    app,
    async close() {
      for (const s of subscriptions) await s.cancel();
      revocations.close();
      for (const u of Object.values(upstreams)) u.close();
      resolver.close();
      redis?.disconnect();
    },
  };
}
