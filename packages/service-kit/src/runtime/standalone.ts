import { z } from 'zod';
import { cachedVerifier } from '../auth/token-cache';
import { createTokenVerifier } from '../auth/verifier';
import { createRabbitBus } from '../bus/rabbitmq';
import { loadConfigOrExit, type Env } from '../config';
import { openPostgres } from '../db/postgres';
import { installSignalHandlers } from '../http/server';
import { batchedStdout, createLogger } from '../logger';
import { sharedServiceConfig, type AnyServiceEntry, type SharedServiceConfig } from './entry';
import { runService } from './run-service';

/**
 * A service as its own process (compose, Kubernetes): the shared and the service's variables validated
 * together, PostgreSQL and RabbitMQ opened, runService, and SIGTERM/SIGINT draining everything in reverse
 * order, the telemetry last so the spans of the drain are flushed too.
 */
export async function runStandalone(
  entry: AnyServiceEntry,
  env: Env,
  telemetry: { shutdown(): Promise<void> },
): Promise<void> {
  const own = entry.config as z.ZodRawShape;
  const shape: z.ZodRawShape = {
    ...sharedServiceConfig,
    PORT: z.coerce.number().int().min(0).max(65535).default(entry.port),
    ...own,
  };
  const { config, generated } = loadConfigOrExit(entry.name, shape, env);
  const shared = config as unknown as SharedServiceConfig;
  const logger = createLogger({ service: entry.name, level: shared.LOG_LEVEL, destination: batchedStdout() });
  if (generated.length > 0) logger.warn({ generated }, 'embedded mode: generated development secrets');
  const db = openPostgres({ url: shared.DATABASE_URL, applicationName: entry.name });
  const bus = createRabbitBus({ url: shared.AMQP_URL, logger });
  // A busy client's repeated calls skip the RSA check (JWKS-trusted keys; revocation is checked apart).
  const verifier = cachedVerifier(
    createTokenVerifier({
      issuer: shared.JWT_ISSUER,
      audience: shared.JWT_AUDIENCE,
      jwksUri: shared.JWKS_URL,
    }),
  );
  const migrationDb = shared.MIGRATION_DATABASE_URL
    ? openPostgres({
        url: shared.MIGRATION_DATABASE_URL,
        max: 1,
        applicationName: `${entry.name}-migrations`,
      })
    : undefined;
  const running = await runService(entry.definition(config, shared), {
    db,
    ...(migrationDb ? { migrationDb } : {}),
    bus,
    logger,
    verifier,
    ...(shared.INTERNAL_SERVICE_KEY ? { serviceKey: shared.INTERNAL_SERVICE_KEY } : {}),
    // Identity publishes its keys at JWKS_URL and its revocation feed on the same origin; identity itself
    // checks its own sessions.
    ...(shared.INTERNAL_SERVICE_KEY && shared.JWKS_URL && entry.name !== 'identity'
      ? {
          revocations: {
            identityUrl: new URL(shared.JWKS_URL).origin,
            serviceKey: shared.INTERNAL_SERVICE_KEY,
          },
        }
      : {}),
    port: shared.PORT,
    host: shared.HOST,
    keepPublishedEvents: shared.OUTBOX_KEEP_PUBLISHED === 'true',
  }).finally(() => migrationDb?.close());
  installSignalHandlers(logger, [
    () => running.stop(),
    () => bus.close(),
    () => db.close(),
    () => telemetry.shutdown(),
  ]);
}
