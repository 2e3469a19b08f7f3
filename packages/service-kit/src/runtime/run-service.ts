import { eventRegistry } from '@geminis/contracts';
import { type Express } from 'express';
import { createRevocationList, refusingRevoked, type RevocationList } from '../auth/revocations';
import { type TokenVerifier } from '../auth/verifier';
import { type Bus } from '../bus/types';
import { assertOwnsNoTables, assertSafeRole, migrate, type Database } from '../db';
import { createHttpApp } from '../http/app';
import { listen, type ListeningServer } from '../http/server';
import { type Logger } from '../logger';
import { createEventConsumer, createOutbox, createOutboxRelay, type EventConsumer } from '../outbox';
import { createScheduler } from '../scheduler/scheduler';
import { type BuiltService, type ServiceDefinition } from './types';

export interface RunServiceOptions {
  db: Database;
  /**
   * Where migrations run, as the role that owns the service's tables (MIGRATION_DATABASE_URL). The runtime
   * role of `db` then holds only the grants it needs and must own no table (checked at start), so it can
   * never turn row-level security off. Without it, `db` migrates too (embedded mode, tests).
   */
  migrationDb?: Database;
  bus: Bus;
  logger: Logger;
  /** Verifies access tokens on authenticated routes (unless the service brings its own). */
  verifier?: TokenVerifier;
  /** The shared key of `{ service: true }` routes (service-to-service calls). */
  serviceKey?: string;
  /** Check JSON success answers against the routes' declared `responses` (tests). */
  checkResponses?: boolean;
  port: number;
  host?: string;
  /** Outbox relay polling, for tests that want it snappier. */
  relayPollMs?: number;
  /**
   * Keep published events in the outbox, marked published_at (tests that read what the service emitted
   * there). Default: a row is deleted once the broker confirmed its publish.
   */
  keepPublishedEvents?: boolean;
  /**
   * Refuse revoked access tokens (logout, password change, refresh-token reuse, suspended users and
   * tenants) with identity's revocation feed, not only at the gateway (DESIGN.md §5: services verify
   * again). Applies to `verifier`; a service that brings its own verifier (identity, catalog) keeps it.
   * The service is not ready until the feed has loaded once.
   */
  revocations?: { identityUrl: string; serviceKey: string; refreshMs?: number };
}

export interface RunningService<TBuilt extends BuiltService = BuiltService> {
  name: string;
  url: string;
  port: number;
  app: Express;
  built: TBuilt;
  server: ListeningServer;
  /** Graceful: stop accepting, finish requests, drain the consumer, jobs and relay, release the service. */
  stop(): Promise<void>;
}

/**
 * The one place that wires a service (STYLE.md): refuse an unsafe database role, apply migrations, build,
 * serve, relay the outbox, consume, schedule — and undo it in reverse order on stop.
 */
export async function runService<TBuilt extends BuiltService>(
  definition: ServiceDefinition<TBuilt>,
  options: RunServiceOptions,
): Promise<RunningService<TBuilt>> {
  const { db, bus } = options;
  const logger = options.logger.child({ service: definition.name });
  await assertSafeRole(db);
  if (options.migrationDb) await assertSafeRole(options.migrationDb); // FORCEd RLS binds the owner too
  const applied = await migrate(options.migrationDb ?? db, definition.migrations);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  if (options.migrationDb) await assertOwnsNoTables(db);

  const outbox = createOutbox({ source: definition.name, registry: eventRegistry });
  const built = await definition.build({ name: definition.name, db, bus, outbox, logger });
  let revocations: RevocationList | undefined;
  let verifier = built.verifier ?? options.verifier;
  if (!built.verifier && options.verifier && options.revocations) {
    const list = createRevocationList({
      windowMs: 15 * 60_000,
      identityUrl: options.revocations.identityUrl,
      serviceKey: options.revocations.serviceKey,
      ...(options.revocations.refreshMs ? { refreshMs: options.revocations.refreshMs } : {}),
      logger,
    });
    void list.loadUntilDone();
    revocations = list;
    verifier = refusingRevoked(options.verifier, list);
  }
  const app = createHttpApp({
    service: definition.name,
    logger,
    ...(verifier ? { verifier } : {}),
    ...(options.serviceKey ? { serviceKey: options.serviceKey } : {}),
    ...(options.checkResponses ? { checkResponses: true } : {}),
    routes: built.routes,
    // Ready = can answer its API, which needs the database. The bus is not a readiness condition: writes
    // keep their events in the outbox and the consumer waits for the broker, so /readyz reports it as
    // degraded instead of taking a working API out of service while RabbitMQ is down.
    readiness: {
      database: () => db.check(),
      ...(revocations
        ? {
            revocations: async () => {
              if (!revocations.ready) throw new Error('revoked tokens not yet loaded from identity');
            },
          }
        : {}),
      ...built.readiness,
    },
    degradedWithout: { bus: () => bus.check() },
    ...(built.rawBodyPaths ? { rawBodyPaths: built.rawBodyPaths } : {}),
  });
  const relay = createOutboxRelay({
    db,
    bus,
    logger,
    ...(options.relayPollMs ? { pollIntervalMs: options.relayPollMs } : {}),
    keepPublished: options.keepPublishedEvents ?? false,
  });
  await relay.start();
  let consumer: EventConsumer | undefined;
  if (built.handlers && Object.keys(built.handlers).length > 0) {
    consumer = createEventConsumer({
      db,
      bus,
      registry: eventRegistry,
      consumer: definition.name,
      handlers: built.handlers,
      logger,
    });
    await consumer.start();
  }
  const scheduler = createScheduler({ db, logger });
  for (const job of built.jobs ?? []) scheduler.schedule(job);
  const server = await listen(app, options.port, options.host);
  logger.info({ url: server.url }, 'service listening');

  return {
    name: definition.name,
    url: server.url,
    port: server.port,
    app,
    built,
    server,
    async stop() {
      await server.close();
      await consumer?.stop();
      await scheduler.stop();
      await relay.stop();
      await built.stop?.();
      revocations?.close();
    },
  };
}
