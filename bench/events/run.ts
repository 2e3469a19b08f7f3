/**
 * bench/events: end-to-end throughput of outbox → RabbitMQ → inbox (committed events per second, from the
 * relay of committed rows to the last applied effect) beside raw amqplib confirm-publish + ack of the same payloads,
 * measured in the same run against the same broker. Goal: ratio ≥ 0.5.
 *
 *   npm run bench -- events        (BENCH_EVENTS=5000 by default)
 */
import amqp from 'amqplib';
import { sql } from 'drizzle-orm';
import { createRabbitBus } from '../../packages/service-kit/src/bus';
import { migrate, openPostgres, rows } from '../../packages/service-kit/src/db';
import { createEventConsumer, createOutbox, createOutboxRelay } from '../../packages/service-kit/src/outbox';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { createTestVhost } from '../../packages/service-kit/src/testing/rabbit';
import { allTenants } from '../../packages/service-kit/src/tenant';
import { NoteAdded, recordEffect, testRegistry } from '../../packages/service-kit/test/fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from '../../packages/service-kit/test/fixtures/notes';

const N = Number(process.env.BENCH_EVENTS ?? 5000);
const WRITERS = 4;
const PER_TX = 10;

async function rawBaseline(url: string, payloads: Buffer[]): Promise<number> {
  const conn = await amqp.connect(url);
  const pub = await conn.createConfirmChannel();
  const sub = await conn.createChannel();
  const q = 'bench.raw';
  await pub.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await sub.prefetch(100);
  let acked = 0;
  const start = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => {
    void sub.consume(q, (msg) => {
      if (!msg) return;
      sub.ack(msg);
      if (++acked === payloads.length) resolve();
    });
  });
  // Publish with confirms, a window of 100 in flight, the same bound the relay uses.
  for (let i = 0; i < payloads.length; i += 100) {
    for (const body of payloads.slice(i, i + 100)) pub.publish('', q, body, { persistent: true });
    await pub.waitForConfirms();
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await conn.close();
  return payloads.length / seconds;
}

async function outboxPipeline(
  dbUrl: string,
  amqpUrl: string,
): Promise<{ perSecond: number; writesPerSecond: number }> {
  // Producer and consumer are different services in production, each with its own pool.
  const db = openPostgres({ url: dbUrl, max: WRITERS + 2 });
  const consumerDb = openPostgres({ url: dbUrl, max: 24 });
  await migrate(db, [NOTES_MIGRATIONS]);
  const pubBus = createRabbitBus({ url: amqpUrl });
  const subBus = createRabbitBus({ url: amqpUrl });
  const outbox = createOutbox({ source: 'bench', registry: testRegistry });
  const consumer = createEventConsumer({
    db: consumerDb,
    bus: subBus,
    registry: testRegistry,
    consumer: 'bench-outbox',
    handlers: { [NoteAdded.type]: recordEffect },
    prefetch: 64,
  });
  await consumer.start();

  // 1. The service's own writes: N events committed in business transactions (reported, not in the ratio).
  const writeStart = process.hrtime.bigint();
  let next = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < N) {
        const from = next;
        next += PER_TX;
        await db.transaction(async (tx) => {
          for (let n = from; n < Math.min(from + PER_TX, N); n++) {
            await outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n } });
          }
        });
      }
    }),
  );
  const writeSeconds = Number(process.hrtime.bigint() - writeStart) / 1e9;

  // 2. The pipeline: committed outbox rows → relay (confirms) → RabbitMQ → inbox transaction → ack.
  const relay = createOutboxRelay({ db, bus: pubBus, pollIntervalMs: 50 });
  const start = process.hrtime.bigint();
  await relay.start();
  let relayed: number | undefined;
  for (;;) {
    if (relayed === undefined) {
      const [pending] = await db.transaction((tx) =>
        rows<{ count: string }>(tx, sql`select count(*) from outbox where published_at is null`),
      );
      if (Number(pending?.count) === 0) relayed = Number(process.hrtime.bigint() - start) / 1e9;
    }
    const [row] = await db.withTenant(allTenants, (tx) =>
      rows<{ count: string }>(tx, sql`select count(*) from effects`),
    );
    if (Number(row?.count) >= N) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `  pipeline phases: outbox drained at ${(relayed ?? seconds).toFixed(2)} s, all applied at ${seconds.toFixed(2)} s`,
  );
  await relay.stop();
  await consumer.stop();
  await pubBus.close();
  await subBus.close();
  await db.close();
  await consumerDb.close();
  return { perSecond: N / seconds, writesPerSecond: N / writeSeconds };
}

async function main() {
  const testDb = await createTestDatabase('gm_bench');
  const vhost = await createTestVhost();
  try {
    const sample = JSON.stringify({ id: '0', type: NoteAdded.type, data: { n: 0 } });
    const payloads = Array.from({ length: N }, () => Buffer.from(sample));
    const raw = await rawBaseline(vhost.url, payloads);
    const pipeline = await outboxPipeline(testDb.url, vhost.url);
    console.log(`events: ${N}, payload ${payloads[0]!.length} bytes`);
    console.log(
      `business writes (${WRITERS} writers, ${PER_TX} events per transaction, outbox rows included): ${pipeline.writesPerSecond.toFixed(0)} events/s committed`,
    );
    console.log(`raw amqplib confirm-publish + ack (quorum queue): ${raw.toFixed(0)} msg/s`);
    console.log(
      `outbox → RabbitMQ → inbox (committed rows relayed with confirms, applied once with the inbox): ${pipeline.perSecond.toFixed(0)} events/s`,
    );
    console.log(`ratio (outbox pipeline / raw): ${(pipeline.perSecond / raw).toFixed(2)} (goal ≥ 0.50)`);
  } finally {
    await vhost.drop();
    await testDb.drop();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
