import { sql } from 'drizzle-orm';
import { createInMemoryBus } from '../src/bus';
import { migrate, openPostgres, type Database } from '../src/db';
import {
  createEventConsumer,
  createOutbox,
  PermanentEventError,
  type BatchEventHandler,
  type EventHandler,
} from '../src/outbox';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { allTenants } from '../src/tenant';
import { effects, NoteAdded, recordEffect, recordEffects, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A, TENANT_B } from './fixtures/notes';

// Deliveries that arrive together are applied in one transaction; these tests pin what that must not
// change: every event applied once, a failing event retried or dead-lettered alone, tenants kept apart.
describe('inbox consumer batching', () => {
  let testDb: TestDatabase;
  let db: Database;
  const outbox = createOutbox({ source: 'test', registry: testRegistry });

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = openPostgres({ url: testDb.url, max: 8 });
    await migrate(db, [NOTES_MIGRATIONS]);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
  });
  beforeEach(() => db.withTenant(allTenants, (tx) => tx.execute(sql`delete from effects`)));

  /** Publishes the envelopes at once, so they reach the consumer together and share batches. */
  async function run(handler: EventHandler, envelopes: unknown[], deliveryLimit = 3) {
    const bus = createInMemoryBus();
    const name = `batch-${Math.random().toString(36).slice(2)}`;
    const consumer = createEventConsumer({
      db,
      bus,
      registry: testRegistry,
      consumer: name,
      handlers: { [NoteAdded.type]: handler },
      prefetch: 100,
      deliveryLimit,
    });
    await consumer.start();
    await Promise.all(
      envelopes.map((e, i) =>
        bus.publish({ id: String(i), routingKey: NoteAdded.type, body: Buffer.from(JSON.stringify(e)) }),
      ),
    );
    return { bus, name, consumer };
  }

  const envelopesFor = (ns: number[], tenantId = TENANT_A) =>
    db.transaction((tx) =>
      Promise.all(ns.map((n) => outbox.enqueue(tx, { type: NoteAdded.type, tenantId, data: { n } }))),
    );

  it('retries only the failing event of a batch and applies every other one exactly once', async () => {
    const envelopes = await envelopesFor(Array.from({ length: 30 }, (_, i) => i + 1));
    let attemptsOf13 = 0;
    const { bus, name, consumer } = await run(async (tx, event) => {
      if ((event.data as { n: number }).n === 13) {
        attemptsOf13 += 1;
        throw new Error('cannot apply 13 yet');
      }
      await recordEffect(tx, event);
    }, envelopes);
    const dead = await waitFor(
      async () => bus.deadLetters(name).length,
      (n) => n >= 1,
    );
    const applied = await waitFor(
      () => effects(db),
      (e) => e.length >= 29,
    );
    expect(dead).toBe(1);
    expect(attemptsOf13).toBeGreaterThanOrEqual(3);
    expect(applied.map((e) => e.n)).toEqual(
      Array.from({ length: 30 }, (_, i) => i + 1).filter((n) => n !== 13),
    );
    await consumer.stop();
  }, 30_000); // 13's redeliveries back off (~4 s in all): too close to jest's 5 s default under load

  it('dead-letters an event its handler calls permanent without holding up the batch', async () => {
    const envelopes = await envelopesFor([1, 2, 3, 4, 5]);
    const { bus, name, consumer } = await run(async (tx, event) => {
      if ((event.data as { n: number }).n === 3) throw new PermanentEventError('contradicts our data');
      await recordEffect(tx, event);
    }, envelopes);
    const applied = await waitFor(
      () => effects(db),
      (e) => e.length >= 4,
    );
    expect(applied.map((e) => e.n)).toEqual([1, 2, 4, 5]);
    expect(bus.deadLetters(name)).toHaveLength(1);
    await consumer.stop();
  });

  it('applies an event delivered several times within one batch only once', async () => {
    const [once] = await envelopesFor([42]);
    const { consumer } = await run(recordEffect, [once, once, once, ...(await envelopesFor([43]))]);
    await waitFor(
      () => effects(db),
      (e) => e.some((x) => x.n === 43),
    );
    await new Promise((r) => setTimeout(r, 100));
    expect((await effects(db)).map((e) => e.n)).toEqual([42, 43]);
    await consumer.stop();
  });

  it("keeps each event's effect in its own tenant when a batch mixes tenants", async () => {
    const envelopes = [
      ...(await envelopesFor([1, 3, 5], TENANT_A)),
      ...(await envelopesFor([2, 4], TENANT_B)),
    ];
    const { consumer } = await run(recordEffect, envelopes);
    await waitFor(
      () => effects(db),
      (e) => e.length >= 5,
    );
    const ofTenant = (tenantId: string) =>
      db.withTenant({ kind: 'tenant', tenantId }, (tx) =>
        tx.execute(sql`select n from effects order by n`).then((r) => (r as { rows: { n: number }[] }).rows),
      );
    expect((await ofTenant(TENANT_A)).map((r) => r.n)).toEqual([1, 3, 5]);
    expect((await ofTenant(TENANT_B)).map((r) => r.n)).toEqual([2, 4]);
    await consumer.stop();
  });

  it('applies runs of one type and tenant through a batch handler: each event once, in its own tenant', async () => {
    const bus = createInMemoryBus();
    const name = `batch-${Math.random().toString(36).slice(2)}`;
    const runs: { tenantId: string; ns: number[] }[] = [];
    const batch: BatchEventHandler = async (tx, events) => {
      runs.push({ tenantId: events[0]!.tenantId, ns: events.map((e) => (e.data as { n: number }).n) });
      await recordEffects(tx, events);
    };
    const consumer = createEventConsumer({
      db,
      bus,
      registry: testRegistry,
      consumer: name,
      handlers: {},
      batchHandlers: { [NoteAdded.type]: batch },
      prefetch: 100,
    });
    await consumer.start();
    const a = await envelopesFor([1, 3, 5], TENANT_A);
    const b = await envelopesFor([2, 4], TENANT_B);
    const publish = (envelopes: unknown[]) =>
      Promise.all(
        envelopes.map((e, i) =>
          bus.publish({ id: String(i), routingKey: NoteAdded.type, body: Buffer.from(JSON.stringify(e)) }),
        ),
      );
    await publish([...a, b[0], a[0], ...b]); // a[0] and b[0] twice in the same delivery burst
    await waitFor(
      () => effects(db),
      (e) => e.length >= 5,
    );
    await publish([a[1]]); // a redelivery of an event applied earlier
    await new Promise((r) => setTimeout(r, 200));
    const ofTenant = (tenantId: string) =>
      db.withTenant({ kind: 'tenant', tenantId }, (tx) =>
        tx.execute(sql`select n from effects order by n`).then((r) => (r as { rows: { n: number }[] }).rows),
      );
    expect((await ofTenant(TENANT_A)).map((r) => r.n)).toEqual([1, 3, 5]);
    expect((await ofTenant(TENANT_B)).map((r) => r.n)).toEqual([2, 4]);
    expect(runs.every((r) => r.ns.every((n) => (r.tenantId === TENANT_A ? n % 2 === 1 : n % 2 === 0)))).toBe(
      true,
    );
    await consumer.stop();
  });
});
