import { sql } from 'drizzle-orm';
import { createInMemoryBus } from '../../packages/service-kit/src/bus';
import { migrate, openPostgres, type Database } from '../../packages/service-kit/src/db';
import { createOutbox } from '../../packages/service-kit/src/outbox';
import { allTenants } from '../../packages/service-kit/src/tenant';
import { createTestDatabase, type TestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { NoteAdded, testRegistry } from '../../packages/service-kit/test/fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from '../../packages/service-kit/test/fixtures/notes';
import { settle, watchedBus } from '../../scripts/embedded-settle';

// `npm start`'s in-process bus keeps its queues in memory: the seed child must not exit, and a stop must
// not stop the services, while an event is still unpublished in an outbox or queued for a consumer.
describe('embedded settle (npm start)', () => {
  let testDb: TestDatabase;
  let db: Database;
  const warnings: unknown[] = [];
  const logger = { warn: (...args: unknown[]) => void warnings.push(args) };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = openPostgres({ url: testDb.url, max: 2 });
    await migrate(db, [NOTES_MIGRATIONS]);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });

  it('waits for every queued delivery to be handled, one consumer slot at a time', async () => {
    const inner = createInMemoryBus();
    const { bus, quietFor } = watchedBus(inner);
    const handled: string[] = [];
    await bus.subscribe({ name: 'slow', bindings: ['#'], prefetch: 1 }, async (m) => {
      await sleep(150);
      handled.push(m.id ?? '');
      return 'ack';
    });
    for (const id of ['a', 'b', 'c', 'd'])
      await bus.publish({ id, routingKey: 'test.slow.v1', body: Buffer.from('{}') });

    await settle([], quietFor, logger, 20_000);

    expect(handled).toEqual(['a', 'b', 'c', 'd']);
    expect(warnings).toEqual([]);
    await inner.close();
  });

  it('waits for an unpublished outbox row to be published', async () => {
    const { quietFor } = watchedBus(createInMemoryBus());
    const outbox = createOutbox({ source: 'test', registry: testRegistry });
    await db.transaction((tx) =>
      outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n: 1 } }),
    );
    let publishedAt = 0;
    const relay = (async () => {
      await sleep(1500);
      await db.withTenant(allTenants, (tx) => tx.execute(sql`update outbox set published_at = now()`));
      publishedAt = Date.now();
    })();

    await settle([db], quietFor, logger, 20_000);

    expect(publishedAt).toBeGreaterThan(0);
    await relay;
  });

  it('gives up after its timeout, saying so', async () => {
    const { quietFor } = watchedBus(createInMemoryBus());
    const outbox = createOutbox({ source: 'test', registry: testRegistry });
    await db.transaction((tx) =>
      outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n: 2 } }),
    );
    warnings.length = 0;

    await settle([db], quietFor, logger, 600);

    expect(warnings).toHaveLength(1);
    await db.withTenant(allTenants, (tx) => tx.execute(sql`update outbox set published_at = now()`));
  });
});
