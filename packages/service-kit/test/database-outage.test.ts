import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { createRabbitBus, countDeadLetters, replayDeadLetters } from '../src/bus';
import { type Bus } from '../src/bus/types';
import { isTransientDatabaseError, migrate, openPostgres, rows, type Database } from '../src/db';
import { createHttpApp, createRoutes, listen, type ListeningServer } from '../src/http';
import { createLogger } from '../src/logger';
import { createEventConsumer, createOutbox, createOutboxRelay, type EventHandler } from '../src/outbox';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { createTestVhost, type TestVhost } from '../src/testing/rabbit';
import { effects, NoteAdded, recordEffect, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from './fixtures/notes';

jest.setTimeout(90_000);

/** Runs SQL as the superuser on a test database (to sabotage it). */
async function asAdmin(testDb: TestDatabase, query: string, database = testDb.adminUrl): Promise<void> {
  const c = new Client({ connectionString: database });
  await c.connect();
  try {
    await c.query(query);
  } finally {
    await c.end();
  }
}

const postgresDb = (testDb: TestDatabase) => {
  const u = new URL(testDb.adminUrl);
  u.pathname = '/postgres';
  return u.toString();
};

/** The database refuses every new connection, and its open ones are cut. */
async function refuseConnections(testDb: TestDatabase, refuse: boolean) {
  await asAdmin(
    testDb,
    `ALTER DATABASE ${testDb.name} WITH ALLOW_CONNECTIONS ${refuse ? 'false' : 'true'}`,
    postgresDb(testDb),
  );
  if (refuse) await terminateBackends(testDb);
}

/** The database accepts connections but refuses writes (a standby after a failover, maintenance). */
async function refuseWrites(testDb: TestDatabase, refuse: boolean) {
  await asAdmin(
    testDb,
    `ALTER DATABASE ${testDb.name} SET default_transaction_read_only = ${refuse ? 'on' : 'off'}`,
    postgresDb(testDb),
  );
  await terminateBackends(testDb);
}

async function terminateBackends(testDb: TestDatabase, lastQueryLike?: string) {
  await asAdmin(
    testDb,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = '${testDb.name}' AND pid <> pg_backend_pid()
      ${lastQueryLike ? `AND query ILIKE '${lastQueryLike}'` : ''}`,
    postgresDb(testDb),
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a consumer whose database is unavailable', () => {
  let vhost: TestVhost;
  let consumerDb: TestDatabase;
  let producerDb: TestDatabase;
  let db: Database;
  let producer: Database;
  let producerBus: Bus;
  let consumerBus: Bus;
  const outbox = createOutbox({ source: 'test', registry: testRegistry });

  beforeAll(async () => {
    vhost = await createTestVhost();
    consumerDb = await createTestDatabase();
    producerDb = await createTestDatabase();
    db = openPostgres({ url: consumerDb.url, max: 6 });
    producer = openPostgres({ url: producerDb.url, max: 4 });
    await migrate(db, [NOTES_MIGRATIONS]);
    await migrate(producer, [NOTES_MIGRATIONS]);
    const reconnect = { initialDelayMs: 100, maxDelayMs: 1000 };
    producerBus = createRabbitBus({ url: vhost.url, reconnect });
    consumerBus = createRabbitBus({ url: vhost.url, reconnect });
  });

  afterAll(async () => {
    await producerBus.close();
    await consumerBus.close();
    await db.close();
    await producer.close();
    await refuseConnections(consumerDb, false).catch(() => undefined);
    await consumerDb.drop();
    await producerDb.drop();
    await vhost.drop();
  });

  async function publish(from: number, count: number) {
    for (let n = from; n < from + count; n++) {
      await producer.transaction((tx) =>
        outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n } }),
      );
    }
  }

  /** Runs a scenario: consumer up, events flowing, the database sabotaged for `outageMs`, then healed. */
  async function scenario(name: string, sabotage: (on: boolean) => Promise<void>, from: number) {
    const consumer = createEventConsumer({
      db,
      bus: consumerBus,
      registry: testRegistry,
      consumer: name,
      handlers: { [NoteAdded.type]: recordEffect },
      deliveryLimit: 3,
      unavailableRetry: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    await consumer.start();
    const relay = createOutboxRelay({ db: producer, bus: producerBus, pollIntervalMs: 50 });
    await relay.start();
    try {
      await publish(from, 10);
      await waitFor(
        () => effects(db),
        (e) => e.filter((x) => x.n >= from).length >= 10,
      );
      await sabotage(true);
      await publish(from + 10, 30);
      // Far longer than the old behaviour needed to spend every delivery attempt (~40 ms).
      await sleep(4_000);
      await sabotage(false);
      const seen = await waitFor(
        () => effects(db),
        (e) => e.filter((x) => x.n >= from).length >= 40,
        30_000,
      );
      const mine = seen.filter((x) => x.n >= from && x.n < from + 40);
      expect(new Set(mine.map((x) => x.n)).size).toBe(40);
      expect(mine).toHaveLength(40); // each exactly once
      expect(await countDeadLetters(vhost.url, name)).toBe(0);
    } finally {
      await relay.stop();
      await consumer.stop();
    }
  }

  it('holds events while its database refuses connections and applies each once when it is back', async () => {
    await scenario('outage-connections', (on) => refuseConnections(consumerDb, on), 1000);
  });

  it('holds events while its database refuses writes and applies each once when it is back', async () => {
    await scenario('outage-read-only', (on) => refuseWrites(consumerDb, on), 2000);
  });

  it('still dead-letters an event that fails by itself, and replays it once the cause is fixed', async () => {
    let broken = true;
    const flaky: EventHandler = async (tx, event) => {
      if (broken && (event.data as { n: number }).n === 3001) throw new Error('bug in the handler');
      await recordEffect(tx, event);
    };
    const consumer = createEventConsumer({
      db,
      bus: consumerBus,
      registry: testRegistry,
      consumer: 'poison',
      handlers: { [NoteAdded.type]: flaky },
      deliveryLimit: 2,
      failureDelay: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    await consumer.start();
    const relay = createOutboxRelay({ db: producer, bus: producerBus, pollIntervalMs: 50 });
    await relay.start();
    try {
      await publish(3000, 3);
      await waitFor(
        () => countDeadLetters(vhost.url, 'poison'),
        (n) => n === 1,
      );
      expect(await countDeadLetters(vhost.url, 'poison')).toBe(1);
      const before = await effects(db);
      expect(before.filter((e) => e.n >= 3000).map((e) => e.n)).toEqual([3000, 3002]);

      broken = false;
      expect(await replayDeadLetters(vhost.url, 'poison')).toBe(1);
      const after = await waitFor(
        () => effects(db),
        (e) => e.some((x) => x.n === 3001),
      );
      expect(after.filter((e) => e.n >= 3000).map((e) => e.n)).toEqual([3000, 3001, 3002]);
      expect(await countDeadLetters(vhost.url, 'poison')).toBe(0);
    } finally {
      await relay.stop();
      await consumer.stop();
    }
  });
});

describe('the PostgreSQL adapter when connections die', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    db = openPostgres({ url: testDb.url, max: 4, applicationName: 'outage_test' });
    await migrate(db, [NOTES_MIGRATIONS]);
  });

  afterAll(async () => {
    await db.close();
    await refuseConnections(testDb, false).catch(() => undefined);
    await testDb.drop();
  });

  it('survives the backend of a running transaction being terminated, and keeps working', async () => {
    const [me] = await db.transaction((tx) => rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`));
    const failure = await db
      .transaction(async (tx) => {
        const [row] = await rows<{ pid: number }>(tx, sql`select pg_backend_pid() as pid`);
        await asAdmin(testDb, `SELECT pg_terminate_backend(${row!.pid})`);
        // The connection dies while this transaction holds it and is between statements.
        await sleep(200);
        await tx.execute(sql`select 1`);
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(failure).toBeDefined();
    expect(isTransientDatabaseError(failure)).toBe(true);
    expect(me).toBeDefined();
    // The process is still here (an unhandled 'error' event would have failed this test) and the pool
    // replaced the broken client.
    await expect(db.check()).resolves.toBeUndefined();
  });

  it('re-opens its LISTEN connection after it is cut, and wakes the listener', async () => {
    const heard: string[] = [];
    const unlisten = await db.listen('outage_test_channel', (p) => heard.push(p));
    try {
      await terminateBackends(testDb, 'listen outage_test_channel');
      // Woken once on reconnection (notifications sent while away are lost), then hears new ones.
      expect(
        await waitFor(
          async () => [...heard],
          (h) => h.includes(''),
          10_000,
        ),
      ).toContain('');
      await db.transaction((tx) => tx.execute(sql`select pg_notify('outage_test_channel', 'after')`));
      const after = await waitFor(
        async () => [...heard],
        (h) => h.includes('after'),
        10_000,
      );
      expect(after).toContain('after');
    } finally {
      await unlisten();
    }
  });

  it('answers 503 with Retry-After, not 500, while the database is unavailable', async () => {
    const routes = createRoutes();
    routes.get('/v1/things', { public: true }, async (_req, res) => {
      await db.transaction((tx) => tx.execute(sql`select 1`));
      res.json({ ok: true });
    });
    const app = createHttpApp({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      routes: [routes],
      readiness: { database: () => db.check() },
    });
    const server: ListeningServer = await listen(app, 0, '127.0.0.1');
    try {
      expect((await fetch(`${server.url}/v1/things`)).status).toBe(200);
      await refuseConnections(testDb, true);
      const res = await fetch(`${server.url}/v1/things`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { code: string }).code).toBe('service.unavailable');
      await refuseConnections(testDb, false);
      const back = await waitFor(
        () => fetch(`${server.url}/v1/things`).then((r) => r.status),
        (s) => s === 200,
      );
      expect(back).toBe(200);
    } finally {
      await refuseConnections(testDb, false);
      await server.close();
    }
  });
});
