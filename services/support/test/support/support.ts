import { createTestClient, type TestResponse } from '@geminis/service-kit/src/testing/http';
import { eventRegistry, PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  createEventConsumer,
  createInMemoryBus,
  createRabbitBus,
  createLogger,
  createTokenVerifier,
  newId,
  openPostgres,
  rows,
  runService,
  type Bus,
  type Database,
  type RunningService,
} from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { withRowLevelSecurityOpened } from '@geminis/service-kit/src/testing/first-wall';
import { createTestIssuer, type TestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { sql } from 'drizzle-orm';
import { supportService, type SupportBuilt, type SupportConfig } from '../../src/service';

export { PLATFORM_TENANT_ID };

/** The shared key of support's service-only routes (mail piping) in tests. */
export const SERVICE_KEY = 'support-test-service-key-long-enough-0123456789';

export interface Harness {
  url: string;
  db: Database;
  testDb: TestDatabase;
  issuer: TestIssuer;
  running: RunningService<SupportBuilt>;
  bus: Bus;
  /** Delivers an event to support's consumer as the bus would (inbox, validation, tenant set). */
  deliver(type: string, tenantId: string, data: unknown, id?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Run support with row-level security opened: its stores' tenant filters are the only wall. */
  firstWallOnly?: boolean;
  /** A real RabbitMQ (a test vhost's URL) instead of the kit's in-process bus. */
  amqpUrl?: string;
  /** A bus shared with other services of the test (e.g. the real identity whose events support reads). */
  bus?: Bus;
}

export async function startSupport(
  config: SupportConfig = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const testDb = await createTestDatabase('gm_support');
  const pool = openPostgres({ url: testDb.url, max: 12 });
  const db = options.firstWallOnly ? withRowLevelSecurityOpened(pool) : pool;
  const bus: Bus =
    options.bus ?? (options.amqpUrl ? createRabbitBus({ url: options.amqpUrl }) : createInMemoryBus());
  const issuer = createTestIssuer();
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });
  const logger = createLogger({ service: 'support', level: 'silent' });
  // The periodic jobs are called by the tests themselves (at the moment they choose).
  const running = await runService(supportService({ jobs: false, ...config }), {
    db,
    bus,
    logger,
    verifier,
    // Every answer a test gets was checked against the schema its route declares (a 500 otherwise).
    checkResponses: true,
    serviceKey: SERVICE_KEY,
    port: 0,
    keepPublishedEvents: true,
    relayPollMs: 50,
  });
  const consumer = createEventConsumer({
    db,
    bus,
    registry: eventRegistry,
    consumer: 'support',
    handlers: running.built.handlers ?? {},
  });
  return {
    url: running.url,
    db,
    testDb,
    issuer,
    running,
    bus,
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
      // Workaround for the kit's relay: a worker still in its first round when stop() is called waits for
      // work forever afterwards (packages/service-kit/src/outbox/relay.ts, waitForWork after running=false),
      // so a harness stopped right after it started never stops. Let the first rounds finish first.
      await new Promise((r) => setTimeout(r, 500));
      await running.stop();
      if (!options.bus) await bus.close();
      await db.close();
      await testDb.drop();
    },
  };
}

/** The envelopes support wrote to its outbox in a tenant, by type. */
export async function outboxEvents(h: Harness, tenantId: string, type: string): Promise<any[]> {
  // under an explicit all-tenants scope: the outbox is a tenant table too
  const rs = await h.db.withTenant({ kind: 'all' }, (tx) =>
    rows<{ envelope: any }>(
      tx,
      sql`select envelope from outbox where tenant_id = ${tenantId} and type = ${type} order by created_at`,
    ),
  );
  return rs.map((r) => r.envelope);
}

/** How many rows a support table holds, across tenants (to check that nothing was written). */
export async function countRows(h: Harness, table: string) {
  const [r] = await h.db.withTenant({ kind: 'all' }, (tx) =>
    rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.raw(table)}`),
  );
  return r!.n;
}

export type Res = TestResponse;
export const client = (url: string) => createTestClient(url);
export type Client = ReturnType<typeof client>;

/** A department body. */
export const dept = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  email: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}@example.test`,
  ...extra,
});
