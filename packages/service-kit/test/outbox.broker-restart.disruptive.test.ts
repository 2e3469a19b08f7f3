import { sql } from 'drizzle-orm';
import { createRabbitBus } from '../src/bus';
import { migrate, openPostgres, rows } from '../src/db';
import { createEventConsumer, createOutbox, createOutboxRelay } from '../src/outbox';
import { createTestDatabase } from '../src/testing/postgres';
import { startBrokerInstance, type BrokerInstance } from '../src/testing/broker-instance';
import { effects, NoteAdded, recordEffect, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from './fixtures/notes';
import { allTenants } from '../src/tenant';

// Stops and starts a broker: its OWN node (started in beforeAll, removed in afterAll), never the machine's
// shared one, which other test files and processes are using at the same time.
let broker: BrokerInstance;

beforeAll(async () => {
  broker = await startBrokerInstance('geminis-restart');
}, 180_000);

afterAll(async () => {
  await broker?.destroy();
}, 60_000);

describe('outbox relay across a broker restart', () => {
  it('delivers every committed event when the broker stops and starts while the relay is publishing', async () => {
    const testDb = await createTestDatabase();
    await broker.ctl('add_vhost', 'restart_test');
    await broker.ctl('set_permissions', '-p', 'restart_test', 'guest', '.*', '.*', '.*');
    const vhost = { url: `${broker.url}/restart_test` };
    const db = openPostgres({ url: testDb.url, max: 6 });
    await migrate(db, [NOTES_MIGRATIONS]);
    const reconnect = { initialDelayMs: 200, maxDelayMs: 1000 };
    const pubBus = createRabbitBus({ url: vhost.url, reconnect, confirmTimeoutMs: 3000 });
    const subBus = createRabbitBus({ url: vhost.url, reconnect });
    const outbox = createOutbox({ source: 'test', registry: testRegistry });
    const consumer = createEventConsumer({
      db,
      bus: subBus,
      registry: testRegistry,
      consumer: 'restart-test',
      handlers: { [NoteAdded.type]: recordEffect },
    });
    await consumer.start();
    const relay = createOutboxRelay({
      db,
      bus: pubBus,
      pollIntervalMs: 100,
      retryBaseMs: 100,
      retryMaxMs: 1000,
      keepPublished: false,
    });
    await relay.start();
    const total = 300;
    try {
      const producing = (async () => {
        for (let n = 1; n <= total; n++) {
          await db.transaction((tx) =>
            outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n } }),
          );
          if (n % 10 === 0) await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      await broker.ctl('stop_app');
      await new Promise((r) => setTimeout(r, 1500));
      await broker.ctl('start_app');
      await broker.ctl('await_startup');
      await producing;
      const seen = await waitFor(
        () => effects(db),
        (e) => new Set(e.map((x) => x.n)).size >= total,
        60_000,
      );
      expect(new Set(seen.map((e) => e.n)).size).toBe(total);
      expect(seen).toHaveLength(total);
      const [pending] = await db.withTenant(allTenants, (tx) =>
        rows<{ count: string }>(tx, sql`select count(*) from outbox`),
      );
      expect(pending?.count).toBe('0');
    } finally {
      await relay.stop();
      await consumer.stop();
      await pubBus.close();
      await subBus.close();
      await db.close();
      await testDb.drop();
    }
  }, 120_000);
});
