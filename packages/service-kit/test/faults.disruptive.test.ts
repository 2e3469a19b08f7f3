import { sql } from 'drizzle-orm';
import { createRabbitBus } from '../src/bus';
import { countDeadLetters } from '../src/bus/dead-letters';
import { migrate, openPostgres, rows } from '../src/db';
import { createEventConsumer, createOutbox, createOutboxRelay } from '../src/outbox';
import { startBrokerInstance, type BrokerInstance } from '../src/testing/broker-instance';
import { startPostgresInstance, type PostgresInstance } from '../src/testing/postgres-instance';
import { effects, NoteAdded, recordEffect, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from './fixtures/notes';
import { allTenants } from '../src/tenant';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// These SIGKILL a broker and stop PostgreSQL immediately: their OWN broker node and PostgreSQL cluster
// (started in beforeAll, removed in afterAll), never the machine's shared ones, which other test files
// and processes are using at the same time.
let broker: BrokerInstance;
let pg: PostgresInstance;

beforeAll(async () => {
  [broker, pg] = await Promise.all([startBrokerInstance(), startPostgresInstance()]);
}, 180_000);

afterAll(async () => {
  await Promise.allSettled([broker?.destroy(), pg?.destroy()]);
}, 60_000);

/** A vhost of the private broker. */
async function privateVhost(name: string) {
  await broker.ctl('add_vhost', name);
  await broker.ctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*');
  return { url: `${broker.url}/${name}`, drop: () => broker.ctl('delete_vhost', name).then(() => undefined) };
}

/** A producer (outbox + relay) and a consumer on their own databases and buses, over one vhost. */
async function pipeline(name: string) {
  const vhost = await privateVhost(name);
  const producerDb = await pg.createDatabase();
  const consumerDb = await pg.createDatabase();
  const producer = openPostgres({ url: producerDb.url, max: 4 });
  const db = openPostgres({ url: consumerDb.url, max: 4 });
  await migrate(producer, [NOTES_MIGRATIONS]);
  await migrate(db, [NOTES_MIGRATIONS]);
  const reconnect = { initialDelayMs: 200, maxDelayMs: 1000 };
  const pubBus = createRabbitBus({ url: vhost.url, reconnect, confirmTimeoutMs: 3000 });
  const subBus = createRabbitBus({ url: vhost.url, reconnect });
  const consumer = createEventConsumer({
    db,
    bus: subBus,
    registry: testRegistry,
    consumer: name,
    handlers: { [NoteAdded.type]: recordEffect },
    unavailableRetry: { initialDelayMs: 100, maxDelayMs: 1000 },
  });
  await consumer.start();
  const relay = createOutboxRelay({ db: producer, bus: pubBus, pollIntervalMs: 100, keepPublished: false });
  await relay.start();
  const outbox = createOutbox({ source: 'test', registry: testRegistry });
  /** Writes events; a write that fails (PostgreSQL down) is retried until it commits. */
  const produce = async (from: number, count: number) => {
    for (let n = from; n < from + count; n++) {
      for (;;) {
        try {
          await producer.transaction((tx) =>
            outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n } }),
          );
          break;
        } catch {
          await sleep(200);
        }
      }
    }
  };
  return {
    vhost,
    db,
    produce,
    async pending() {
      const [r] = await producer.withTenant(allTenants, (tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from outbox`),
      );
      return r!.n;
    },
    async close() {
      await relay.stop();
      await consumer.stop();
      await pubBus.close();
      await subBus.close();
      await producer.close();
      await db.close();
      await producerDb.drop();
      await consumerDb.drop();
      await vhost.drop();
    },
  };
}

describe('faults under traffic', () => {
  it('applies every event exactly once when the broker is SIGKILLed mid-stream and restarted', async () => {
    const p = await pipeline('fault_broker_kill');
    let killed = false;
    try {
      const producing = p.produce(1, 200);
      // Mid-stream: once events flow end to end.
      await waitFor(
        () => effects(p.db),
        (e) => e.length >= 20,
      );
      await broker.kill();
      killed = true;
      await sleep(1000);
      await broker.start();
      killed = false;
      // RabbitMQ 3.10.8 sometimes brings a single-node quorum queue back from a SIGKILL as a Raft follower
      // that never elects itself (seen here with the consumer's queue, in about half the runs): nothing is
      // confirmed or delivered on it until an operator triggers an election, whatever a client does. The
      // broker's defect, not the kit's (see broker-instance.ts); the operator's step is taken here, after a
      // moment in which the clients meet the stuck queue (confirm timeouts, refused consumes) and must
      // neither hang nor lose anything because of it.
      await sleep(5000);
      await broker.electStuckQuorumQueues();
      await producing;
      const seen = await waitFor(
        () => effects(p.db),
        (e) => new Set(e.map((x) => x.n)).size >= 200,
        60_000,
      );
      expect(new Set(seen.map((x) => x.n)).size).toBe(200);
      expect(seen).toHaveLength(200); // each exactly once
      expect(
        await waitFor(
          () => p.pending(),
          (n) => n === 0,
        ),
      ).toBe(0);
      expect(await countDeadLetters(p.vhost.url, 'fault_broker_kill')).toBe(0);
    } finally {
      if (killed) await broker.start();
      await p.close();
    }
  }, 150_000);

  it('survives PostgreSQL stopping immediately under load, and applies every event exactly once', async () => {
    const p = await pipeline('fault_pg_stop');
    let stopped = false;
    try {
      await p.produce(1, 50);
      const producing = p.produce(51, 100);
      await sleep(200);
      await pg.stopImmediate();
      stopped = true;
      await sleep(3000);
      await pg.start();
      stopped = false;
      await producing;
      const seen = await waitFor(
        () => effects(p.db).catch(() => []),
        (e) => new Set(e.map((x) => x.n)).size >= 150,
        90_000,
      );
      expect(new Set(seen.map((x) => x.n)).size).toBe(150);
      expect(seen).toHaveLength(150);
      expect(await countDeadLetters(p.vhost.url, 'fault_pg_stop')).toBe(0);
      // This process (the producer's and the consumer's pools, the relay's LISTEN) is still here.
      expect(process.exitCode ?? 0).toBe(0);
    } finally {
      if (stopped) await pg.start().catch(() => undefined);
      await p.close();
    }
  }, 150_000);
});
