import { randomBytes } from 'node:crypto';
import { eventRegistry, PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  createEventConsumer,
  createInMemoryBus,
  createLogger,
  createTokenVerifier,
  newId,
  openPostgres,
  runService,
  type Bus,
  type Database,
  type RunningService,
} from '@geminis/service-kit';
import { withRowLevelSecurityOpened } from '@geminis/service-kit/src/testing/first-wall';
import { createTestClient, type TestResponse } from '@geminis/service-kit/src/testing/http';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestIssuer, type TestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { provisioningService, type ProvisioningBuilt, type ProvisioningConfig } from '../../src/service';

export { PLATFORM_TENANT_ID };

export const TEST_ENCRYPTION_KEY = 'test-encryption-key-of-at-least-32-chars!';

export interface Harness {
  url: string;
  db: Database;
  bus: Bus;
  testDb: TestDatabase;
  issuer: TestIssuer;
  running: RunningService<ProvisioningBuilt>;
  /** Delivers an event to provisioning's consumer as the bus would (inbox, validation, tenant set). */
  deliver(type: string, tenantId: string, data: unknown, id?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  config?: Partial<ProvisioningConfig>;
  /**
   * Row-level security opened for every tenant scope the service asks for: only the stores' own tenant
   * filters isolate tenants, so a cross-tenant test that passes with RLS and fails here has found a store
   * that forgot its filter (the second wall was hiding it).
   */
  firstWallOnly?: boolean;
  /** A real bus (RabbitMQ); the in-memory one otherwise. */
  bus?: Bus;
  /** The shared service key our own services call the /internal routes with (a random one by default). */
  serviceKey?: string;
}

export async function startProvisioning(options: HarnessOptions = {}): Promise<Harness> {
  const testDb = await createTestDatabase('gm_provisioning');
  const db = openPostgres({ url: testDb.url, max: 6 });
  const bus = options.bus ?? createInMemoryBus();
  const issuer = createTestIssuer();
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });
  const logger = createLogger({ service: 'provisioning', level: 'silent' });
  const config: ProvisioningConfig = {
    encryptionKey: TEST_ENCRYPTION_KEY,
    ...options.config,
    // Tests drive the job runner themselves unless they ask for it to run on its own.
    jobs: { autoStart: false, baseDelayMs: 1, maxDelayMs: 5, ...options.config?.jobs },
    sync: { enabled: false, ...options.config?.sync },
    usage: { enabled: false, ...options.config?.usage },
    domains: {
      transferPollMs: 1,
      ...options.config?.domains,
      sync: { enabled: false, ...options.config?.domains?.sync },
    },
  };
  const served: Database = options.firstWallOnly ? withRowLevelSecurityOpened(db) : db;
  const running = await runService(provisioningService(config), {
    db: served,
    bus,
    logger,
    verifier,
    // Every answer a test gets was checked against the schema its route declares (a 500 otherwise).
    checkResponses: true,
    serviceKey: options.serviceKey ?? randomBytes(32).toString('base64url'),
    port: 0,
    keepPublishedEvents: true,
    relayPollMs: 50,
  }).catch(async (err: unknown) => {
    // Leave nothing behind on a shared PostgreSQL when the service cannot start.
    await db.close().catch(() => undefined);
    await testDb.drop().catch(() => undefined);
    throw err;
  });
  const consumer = createEventConsumer({
    db,
    bus,
    registry: eventRegistry,
    consumer: 'provisioning',
    handlers: running.built.handlers ?? {},
  });
  return {
    url: running.url,
    db,
    bus,
    testDb,
    issuer,
    running,
    async deliver(type, tenantId, data, id = newId()) {
      const envelope = {
        id,
        type,
        source: 'test',
        time: new Date().toISOString(),
        tenantId,
        correlationId: id,
        data,
      };
      return consumer.handle({
        id,
        routingKey: type,
        body: Buffer.from(JSON.stringify(envelope)),
        headers: {},
        redelivered: false,
        deliveryCount: 0,
      });
    },
    async stop() {
      await running.stop();
      await bus.close();
      await db.close();
      await testDb.drop();
    },
  };
}

export type Res = TestResponse;
export const client = (url: string) => createTestClient(url);
export type Client = ReturnType<typeof client>;

/** A cPanel server body as staff would post it. */
export const cpanelServer = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  module: 'cpanel',
  hostname: 'whm.test',
  port: 2087,
  tls: true,
  nameservers: ['ns1.host.test', 'ns2.host.test'],
  maxAccounts: 100,
  credentials: { username: 'root', apiToken: `TOKEN-${name.replace(/\W/g, '')}-SECRET` },
  ...extra,
});
