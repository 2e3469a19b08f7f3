import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { createRabbitBus } from '../src/bus';
import { type Bus } from '../src/bus/types';
import { migrate, openPostgres, rows, type Database } from '../src/db';
import { BusRefusedError, BusUnavailableError } from '../src/bus/types';
import {
  createEventConsumer,
  createOutbox,
  createOutboxRelay,
  retryDelayMs,
  type OutboxRelay,
} from '../src/outbox';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { createTestVhost } from '../src/testing/rabbit';
import { newId } from '../src/ids';
import { allTenants } from '../src/tenant';
import { effects, NoteAdded, recordEffect, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from './fixtures/notes';

jest.setTimeout(60_000);

const rabbitmqctl = (...args: string[]) =>
  promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 30_000 });

type Vhost = Awaited<ReturnType<typeof createTestVhost>>;

describe("the relay's retry of a failed publish", () => {
  const [base, max] = [200, 30_000];
  it('retries a publish lost with the bus at once, whatever its attempts', () => {
    expect(retryDelayMs(new BusUnavailableError('connection closed'), false, 7, base, max)).toBe(0);
    expect(retryDelayMs(new BusRefusedError('nacked'), true, 7, base, max)).toBe(0);
    expect(retryDelayMs(new Error('unroutable'), true, 7, base, max)).toBe(0);
  });

  it('backs off on a row the connected broker refused (nack), or whose message failed: at least half the step', () => {
    for (const reason of [new BusRefusedError('nacked'), new Error('message x was unroutable (returned)')]) {
      // the least jitter can give, and the most
      expect(retryDelayMs(reason, false, 0, base, max, () => 0)).toBe(100);
      expect(retryDelayMs(reason, false, 3, base, max, () => 0)).toBe(800);
      expect(retryDelayMs(reason, false, 3, base, max, () => 0.999)).toBe(1599);
      expect(retryDelayMs(reason, false, 40, base, max, () => 0)).toBe(15_000);
      expect(retryDelayMs(reason, false, 40, base, max, () => 0.999)).toBeLessThan(30_000);
    }
  });
});

describe('outbox → RabbitMQ → inbox', () => {
  let testDb: TestDatabase;
  let vhost: Vhost;
  let db: Database;
  let publisherBus: Bus;
  let consumerBus: Bus;
  let relay: OutboxRelay;
  const outbox = createOutbox({ source: 'test', registry: testRegistry });
  let consumerName: string;
  let consumer: ReturnType<typeof createEventConsumer>;

  const emit = (n: number, tenantId = TENANT_A) =>
    db.transaction((tx) => outbox.enqueue(tx, { type: NoteAdded.type, tenantId, data: { n } }));

  beforeAll(async () => {
    testDb = await createTestDatabase();
    vhost = await createTestVhost();
    db = openPostgres({ url: testDb.url, max: 8 });
    await migrate(db, [NOTES_MIGRATIONS]);
    const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
    publisherBus = createRabbitBus({ url: vhost.url, reconnect, confirmTimeoutMs: 5000 });
    consumerBus = createRabbitBus({ url: vhost.url, reconnect });
    consumerName = 'outbox-test';
    consumer = createEventConsumer({
      db,
      bus: consumerBus,
      registry: testRegistry,
      consumer: consumerName,
      handlers: { [NoteAdded.type]: recordEffect },
      deliveryLimit: 3,
    });
    await consumer.start();
    relay = createOutboxRelay({
      db,
      bus: publisherBus,
      pollIntervalMs: 100,
      retryBaseMs: 50,
      retryMaxMs: 500,
      keepPublished: false,
    });
    await relay.start();
  });

  afterAll(async () => {
    await relay.stop();
    await consumer.stop();
    await publisherBus.close();
    await consumerBus.close();
    await db.close();
    await testDb.drop();
    await vhost.drop();
  });

  beforeEach(async () => {
    await db.withTenant(allTenants, (tx) => tx.execute(sql`delete from effects`));
  });

  it('delivers every committed event and applies each once', async () => {
    for (let n = 1; n <= 50; n++) await emit(n);
    const seen = await waitFor(
      () => effects(db),
      (e) => e.length >= 50,
    );
    expect(seen.map((e) => e.n)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    await expect(
      db.transaction(async (tx) => {
        await outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n: 666 } });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await emit(1); // a later event: once it is applied, the relay has been past the rolled-back one
    const seen = await waitFor(
      () => effects(db),
      (e) => e.length >= 1,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await effects(db)).map((e) => e.n)).toEqual([1]);
    expect(seen.map((e) => e.n)).toEqual([1]);
  });

  it('still publishes an outbox row that commits after a later one', async () => {
    let releaseEarly!: () => void;
    const held = new Promise<void>((r) => (releaseEarly = r));
    // The early transaction inserts first (lower id, earlier created_at) and commits last.
    const early = db.transaction(async (tx) => {
      await outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n: 1 } });
      await held;
    });
    await new Promise((r) => setTimeout(r, 100));
    await emit(2);
    await waitFor(
      () => effects(db),
      (e) => e.length >= 1,
    );
    releaseEarly();
    await early;
    const seen = await waitFor(
      () => effects(db),
      (e) => e.length >= 2,
    );
    expect(seen.map((e) => e.n)).toEqual([1, 2]);
  });

  it('applies an event delivered three times only once', async () => {
    const envelope = await db.transaction((tx) =>
      outbox.enqueue(tx, { type: NoteAdded.type, tenantId: PLATFORM_TENANT_ID, data: { n: 7 } }),
    );
    const body = Buffer.from(JSON.stringify(envelope));
    await Promise.all(
      [1, 2, 3].map(() => publisherBus.publish({ id: envelope.id, routingKey: NoteAdded.type, body })),
    );
    await emit(8); // fence
    const seen = await waitFor(
      () => effects(db),
      (e) => e.some((x) => x.n === 8),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await effects(db)).filter((e) => e.n === 7)).toHaveLength(1);
    expect(seen.filter((e) => e.n === 7)).toHaveLength(1);
  });

  it('dead-letters a poison message while good messages keep flowing', async () => {
    await publisherBus.publish({ id: 'not-json', routingKey: NoteAdded.type, body: Buffer.from('{oops') });
    await publisherBus.publish({
      id: 'bad-data',
      routingKey: NoteAdded.type,
      body: Buffer.from(JSON.stringify({ type: NoteAdded.type, data: { n: 'x' } })),
    });
    for (let n = 1; n <= 5; n++) await emit(n);
    const seen = await waitFor(
      () => effects(db),
      (e) => e.length >= 5,
    );
    expect(seen.map((e) => e.n)).toEqual([1, 2, 3, 4, 5]);
    const dead = await waitFor(
      () => vhost.queueDepth(`${consumerName}.dlq`),
      (d) => d >= 2,
    );
    expect(dead).toBe(2);
  });

  it('redelivers an event whose consumer died after commit and before ack, without applying it twice', async () => {
    await consumer.stop();
    try {
      const envelope = await emit(42);
      // A consumer that takes the message, commits its effect, and dies before acking.
      const conn = await amqp.connect(vhost.url);
      const ch = await conn.createChannel();
      const msg = await waitFor(
        () => ch.get(consumerName, { noAck: false }),
        (m) => m !== false,
      );
      if (msg === false) throw new Error('the event never reached the queue');
      expect(msg.properties.messageId).toBe(envelope.id);
      const disposition = await consumer.handle({
        id: msg.properties.messageId as string,
        routingKey: msg.fields.routingKey,
        body: msg.content,
        headers: {},
        redelivered: msg.fields.redelivered,
        deliveryCount: 0,
      });
      expect(disposition).toBe('ack');
      await conn.close(); // no ack: the broker requeues it
    } finally {
      await consumer.start();
    }
    await emit(43); // fence: when 43 is applied, the redelivered 42 was handled before it
    await waitFor(
      () => effects(db),
      (e) => e.some((x) => x.n === 43),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await effects(db)).map((e) => e.n)).toEqual([42, 43]);
    expect(await vhost.queueDepth(consumerName)).toBe(0);
  });

  it('loses nothing confirmed when connections drop mid-stream', async () => {
    const total = 200;
    const producing = (async () => {
      for (let n = 1; n <= total; n++) {
        await emit(n);
        if (n % 20 === 0) await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await new Promise((r) => setTimeout(r, 150));
    await vhost.closeConnections();
    await new Promise((r) => setTimeout(r, 300));
    await vhost.closeConnections();
    await producing;
    const seen = await waitFor(
      () => effects(db),
      (e) => new Set(e.map((x) => x.n)).size >= total,
      40_000,
    );
    expect(new Set(seen.map((e) => e.n)).size).toBe(total);
    expect(seen).toHaveLength(total); // no event applied twice despite republishing
    // Every row deleted once confirmed, none before: a publish lost with its connection left its row,
    // which was published again (and applied once).
    const [left] = await db.withTenant(allTenants, (tx) =>
      rows<{ count: string }>(tx, sql`select count(*) from outbox`),
    );
    expect(left?.count).toBe('0');
  });

  it('keeps a row whose publish the broker nacked, and deletes it only once a publish is confirmed', async () => {
    // The consumer's queue takes nothing more once it holds a message (max-length 0 with its reject-publish
    // overflow): the broker nacks the relay's publish of the next event, again and again, until there is
    // room.
    const policy = ['-p', vhost.name, 'outbox-full'];
    await consumer.stop();
    let restarted = false;
    await rabbitmqctl(
      'set_policy',
      ...policy,
      `^${consumerName}$`,
      '{"max-length":0}',
      '--apply-to',
      'queues',
    );
    try {
      await emit(98);
      await waitFor(
        () => vhost.queueDepth(consumerName),
        (d) => d >= 1,
      );
      const envelope = await emit(99);
      const row = () =>
        db.withTenant(allTenants, (tx) =>
          rows<{ attempts: number; last_error: string | null }>(
            tx,
            sql`select attempts, last_error from outbox where id = ${envelope.id}`,
          ),
        );
      const failed = await waitFor(row, (r) => (r[0]?.attempts ?? 0) >= 2);
      expect(failed).toEqual([{ attempts: expect.any(Number), last_error: expect.stringMatching(/nack/) }]);
      expect(failed[0]!.attempts).toBeGreaterThanOrEqual(2);
      // The publisher tells a refusal from a loss: the relay backs off on a refused row (retryDelayMs).
      await expect(
        publisherBus.publish({ id: newId(), routingKey: NoteAdded.type, body: Buffer.from('{}') }),
      ).rejects.toBeInstanceOf(BusRefusedError);
      // Room again: the queue lets its publishers in once a consumer takes it below the new limit (RabbitMQ
      // 3.10 keeps a publisher it refused blocked if the limit is merely cleared).
      await rabbitmqctl(
        'set_policy',
        ...policy,
        `^${consumerName}$`,
        '{"max-length":100}',
        '--apply-to',
        'queues',
      );
      await consumer.start();
      restarted = true;
      const seen = await waitFor(
        () => effects(db),
        (e) => e.length >= 2,
      );
      expect(seen.map((e) => e.n)).toEqual([98, 99]);
      expect(await waitFor(row, (r) => r.length === 0)).toEqual([]);
    } finally {
      await rabbitmqctl('clear_policy', ...policy).catch(() => undefined);
      if (!restarted) await consumer.start();
    }
  });

  it('stops when stopped during its first round (every worker was still claiming)', async () => {
    // A second relay over the same outbox, stopped right after it starts: its workers are inside their
    // first claim, and must not go to wait for work after stop() has woken the waiters (it hung forever).
    const second = createOutboxRelay({ db, bus: publisherBus, pollIntervalMs: 100, maxInFlightBatches: 4 });
    await second.start();
    await expect(second.stop()).resolves.toBeUndefined();
  }, 15_000);
});
