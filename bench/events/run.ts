/**
 * bench/events: end-to-end throughput of outbox → RabbitMQ → inbox (committed events per second, from the
 * relay of committed rows to the last applied effect) beside raw amqplib confirm-publish + ack of the same payloads,
 * measured in the same run against the same broker. Goal: ratio ≥ 0.5.
 *
 *   npm run bench -- events        (BENCH_EVENTS=10000 by default)
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import amqp from 'amqplib';
import { sql } from 'drizzle-orm';
import { createRabbitBus, type Bus } from '../../packages/service-kit/src/bus';
import { migrate, openPostgres, rows, type Database } from '../../packages/service-kit/src/db';
import { createEventConsumer, createOutbox, createOutboxRelay } from '../../packages/service-kit/src/outbox';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { createTestVhost } from '../../packages/service-kit/src/testing/rabbit';
import { allTenants } from '../../packages/service-kit/src/tenant';
import {
  NoteAdded,
  recordEffect,
  recordEffects,
  testRegistry,
} from '../../packages/service-kit/test/fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from '../../packages/service-kit/test/fixtures/notes';

const N = Number(process.env.BENCH_EVENTS ?? 10000);
const WRITERS = 4;
const PER_TX = 10;
/**
 * One-event transactions in flight at once in the steady-rate run: what its pool has beside the relay's
 * batches in flight (4), so the relay's claims never queue behind the writers.
 */
const MAX_STEADY_WRITES = WRITERS + 2;
/** Unset: the kit's defaults (what a service gets). */
const envNumber = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const CONSUMER_OPTIONS = Object.fromEntries(
  Object.entries({
    prefetch: envNumber('BENCH_PREFETCH'),
    maxBatch: envNumber('BENCH_INBOX_BATCH'),
    maxConcurrentBatches: envNumber('BENCH_INBOX_CONCURRENCY'),
  }).filter(([, v]) => v !== undefined),
);
const RELAY_OPTIONS = Object.fromEntries(
  Object.entries({
    batchSize: envNumber('BENCH_RELAY_BATCH'),
    maxInFlightBatches: envNumber('BENCH_RELAY_IN_FLIGHT'),
    // Confirmed rows deleted, as services will have them once their tests no longer read published rows
    // from the outbox (the kit's default keeps them for now); BENCH_KEEP_PUBLISHED=1 keeps them.
    keepPublished: process.env.BENCH_KEEP_PUBLISHED === '1',
  }).filter(([, v]) => v !== undefined),
);
const PER_EVENT = process.env.BENCH_PER_EVENT === '1';

/**
 * BENCH_CPU_PROF=<file>: a V8 CPU profile of the pipeline's throughput phase alone (relay start to the
 * last event applied), without the business writes before it or the baseline around it.
 */
async function profiled<T>(phase: () => Promise<T>): Promise<T> {
  const file = process.env.BENCH_CPU_PROF;
  if (!file) return phase();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  try {
    return await phase();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
    console.log(`  CPU profile of the pipeline phase: ${file}`);
  }
}

/**
 * Raw amqplib at its best on this machine: publish+consume+ack through one quorum queue (the queue type
 * the platform uses), persistent messages, a confirm channel with a SLIDING window of unconfirmed
 * messages (a confirm callback per message frees its slot; backpressure honoured), a consumer with
 * per-consumer prefetch acking each message. Messages per second from the first publish to the last ack.
 */
let lastRawCpu = '';

async function rawTrial(url: string, body: Buffer, count: number, window: number, prefetch: number) {
  const conn = await amqp.connect(url);
  const pub = await conn.createConfirmChannel();
  const sub = await conn.createChannel();
  const q = `bench.raw.${window}.${prefetch}`;
  await pub.assertQueue(q, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await sub.prefetch(prefetch, false);
  let acked = 0;
  const cpu = cpuSeconds();
  const start = process.hrtime.bigint();
  const done = new Promise<void>((resolve) => {
    void sub.consume(q, (msg) => {
      if (!msg) return;
      sub.ack(msg);
      if (++acked === count) resolve();
    });
  });
  let inFlight = 0;
  let nacked = 0;
  let slot: (() => void) | undefined;
  const freed = () => {
    inFlight -= 1;
    const s = slot;
    slot = undefined;
    s?.();
  };
  for (let i = 0; i < count; i++) {
    while (inFlight >= window) await new Promise<void>((r) => (slot = r));
    inFlight += 1;
    const ok = pub.publish('', q, body, { persistent: true, messageId: String(i) }, (err: unknown) => {
      if (err) nacked += 1;
      freed();
    });
    if (!ok) await new Promise((r) => pub.once('drain', r));
  }
  await pub.waitForConfirms();
  await done;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  lastRawCpu = cpuPer1000(cpu, count);
  await pub.deleteQueue(q);
  await conn.close();
  if (nacked > 0) throw new Error(`raw baseline: ${nacked} publishes nacked`);
  return count / seconds;
}

async function rawBaseline(
  url: string,
  body: Buffer,
): Promise<{ best: number; window: number; prefetch: number }> {
  const count = N; // as many as the pipeline carries: short trials flatter the baseline
  let best = { best: 0, window: 0, prefetch: 0 };
  const results: string[] = [];
  for (const window of [100, 500, 2000]) {
    for (const prefetch of [100, 300, 1000]) {
      const rate = await rawTrial(url, body, count, window, prefetch);
      results.push(`w${window}/p${prefetch}: ${rate.toFixed(0)}`);
      if (rate > best.best) best = { best: rate, window, prefetch };
    }
  }
  console.log(`  raw sweep (${count} msgs each, msg/s): ${results.join(', ')}`);
  return best;
}

/**
 * Wraps a bus so the bench sees, in-process and without polling the database (which would compete with
 * the pipeline for it): each confirmed publish, and each delivery whose inbox transaction committed
 * (the consumer returns 'ack' only after its commit).
 */
function observed(bus: Bus, on: { confirmed?: (id: string) => void; applied?: (id: string) => void }): Bus {
  // No async frames of their own: the bench's bookkeeping should cost the pipeline as little as it can.
  return {
    ...bus,
    publish: (message) =>
      bus.publish(message).then(() => {
        on.confirmed?.(message.id);
      }),
    subscribe: (spec, handler) =>
      bus.subscribe(spec, (message) =>
        handler(message).then((disposition) => {
          if (disposition === 'ack' && message.id) on.applied?.(message.id);
          return disposition;
        }),
      ),
  };
}

/** Counts the transactions run through `db` (how many events each inbox batch or relay claim carried). */
function countingTransactions(db: Database): { db: Database; count: () => number } {
  let n = 0;
  return {
    db: {
      ...db,
      transaction: (fn) => {
        n += 1;
        return db.transaction(fn);
      },
      withTenant: (scope, fn) => {
        n += 1;
        return db.withTenant(scope, fn);
      },
      readWithTenant: (scope, fn) => {
        n += 1;
        return db.readWithTenant(scope, fn);
      },
    },
    count: () => n,
  };
}

const benchLogger = {
  info: () => {},
  warn: (obj: object, msg: string) => console.warn(msg, JSON.stringify(obj).slice(0, 300)),
  error: (obj: object, msg: string) => console.error(msg, JSON.stringify(obj).slice(0, 300)),
};

async function outboxPipeline(
  dbUrl: string,
  amqpUrl: string,
): Promise<{ perSecond: number; writesPerSecond: number }> {
  // Producer and consumer are different services in production, each with its own pool.
  const db = openPostgres({ url: dbUrl, max: WRITERS + 2 });
  const consumerDb = openPostgres({ url: dbUrl, max: 24 });
  await migrate(db, [NOTES_MIGRATIONS]);
  let start = 0n;
  let relayedAt: number | undefined;
  let finished!: (seconds: number) => void;
  const allApplied = new Promise<number>((r) => (finished = r));
  // Confirms are counted (informational: a republished event would count twice); applied events are
  // told apart by id, since a duplicate delivery is acknowledged too.
  let confirmed = 0;
  const applied = new Set<string>();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  const pubBus = observed(createRabbitBus({ url: amqpUrl }), {
    confirmed: () => {
      if (++confirmed === N) relayedAt = elapsed();
    },
  });
  const subBus = observed(createRabbitBus({ url: amqpUrl }), {
    applied: (id) => {
      applied.add(id);
      if (applied.size === N) finished(elapsed());
    },
  });
  const outbox = createOutbox({ source: 'bench', registry: testRegistry });
  const inboxTransactions = countingTransactions(consumerDb);
  const consumer = createEventConsumer({
    db: inboxTransactions.db,
    bus: subBus,
    registry: testRegistry,
    consumer: 'bench-outbox',
    // BENCH_LOG=1: the consumer's warnings (a stalled run is explained there).
    ...(process.env.BENCH_LOG ? { logger: benchLogger } : {}),
    handlers: { [NoteAdded.type]: recordEffect },
    // The effect (a row per event) in one statement per run of a batch; BENCH_PER_EVENT=1 measures the
    // per-event handler instead.
    ...(PER_EVENT ? {} : { batchHandlers: { [NoteAdded.type]: recordEffects } }),
    ...CONSUMER_OPTIONS,
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
  const relayTransactions = countingTransactions(db);
  const relay = createOutboxRelay({
    db: relayTransactions.db,
    bus: pubBus,
    pollIntervalMs: 50,
    ...RELAY_OPTIONS,
  });
  const { seconds, cpuUsed } = await profiled(async () => {
    const cpu = cpuSeconds();
    const inboxBefore = inboxTransactions.count();
    start = process.hrtime.bigint();
    await relay.start();
    const timeout = setTimeout(() => finished(NaN), 120_000);
    const seconds = await allApplied;
    const end = process.hrtime.bigint();
    const pids = new Set([...(await backendPids(db)), ...(await backendPids(consumerDb))]);
    const transactions = `${(N / (inboxTransactions.count() - inboxBefore)).toFixed(0)} events per inbox transaction, ${(N / relayTransactions.count()).toFixed(0)} per relay transaction`;
    const cpuUsed = `${cpuPer1000(cpu, N, pids)}; ${transactions}`;
    clearTimeout(timeout);
    // CLOCK_MONOTONIC (perf record -k CLOCK_MONOTONIC), to cut a system-wide profile to this phase.
    const window = `${(Number(start) / 1e9).toFixed(3)},${(Number(end) / 1e9).toFixed(3)}`;
    console.log(
      `  pipeline window (CLOCK_MONOTONIC s): ${window}; PostgreSQL backends ${[...pids].join(',')}`,
    );
    return { seconds, cpuUsed };
  });
  await relay.stop();
  await consumer.stop();
  // Every effect once: the inbox made the redeliveries (if any) no-ops.
  const [row] = await db.withTenant(allTenants, (tx) =>
    rows<{ count: string; distinct: string }>(
      tx,
      sql`select count(*), count(distinct event_id) as distinct from effects`,
    ),
  );
  if (Number(row?.count) !== N || Number(row?.distinct) !== N) {
    throw new Error(`pipeline: ${row?.count} effects (${row?.distinct} distinct) for ${N} events`);
  }
  console.log(
    `  pipeline phases: outbox relayed (all confirmed) at ${(relayedAt ?? seconds).toFixed(2)} s, all applied at ${seconds.toFixed(2)} s; ${cpuUsed}`,
  );
  await pubBus.close();
  await subBus.close();
  await db.close();
  await consumerDb.close();
  return { perSecond: N / seconds, writesPerSecond: N / writeSeconds };
}

/**
 * End-to-end latency at a steady rate: each event is committed in its own transaction on a schedule of
 * `rate` per second; its latency runs from that commit to the moment the consumer's inbox transaction
 * that applied it has committed (the handler wrapper below sees the 'ack' the consumer returns only
 * after its commit).
 */
async function steadyLatency(dbUrl: string, amqpUrl: string, rate: number, seconds: number) {
  // The relay holds a pool client per batch in flight (its rows stay locked until marked): sized so the
  // writers do not queue the relay's claims behind them.
  const db = openPostgres({ url: dbUrl, max: WRITERS + 2 + 4 });
  const consumerDb = openPostgres({ url: dbUrl, max: 24 });
  const committedAt = new Map<string, bigint>();
  const latencies: number[] = [];
  /** Events applied before their writer's commit returned (counted as latency 0, and reported). */
  const appliedFirst = new Set<string>();
  let early = 0;
  // The relay's share: commit → broker confirm (the rest is delivery and the inbox transaction).
  const confirmLatencies: number[] = [];
  const pubBus = observed(createRabbitBus({ url: amqpUrl }), {
    confirmed: (id) => {
      const t0 = committedAt.get(id);
      if (t0 !== undefined) confirmLatencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    },
  });
  const inner = createRabbitBus({ url: amqpUrl });
  const subBus: Bus = {
    ...inner,
    subscribe: (spec, handler) =>
      inner.subscribe(spec, async (message) => {
        const disposition = await handler(message);
        const t0 = message.id ? committedAt.get(message.id) : undefined;
        if (disposition === 'ack' && t0 !== undefined) {
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          committedAt.delete(message.id!);
        } else if (disposition === 'ack' && message.id) {
          // Applied before its writer's commit call returned (the commit is visible to the relay a moment
          // before its answer reaches the writer; all three share this process's event loop): latency 0.
          appliedFirst.add(message.id);
        }
        return disposition;
      }),
  };
  const outbox = createOutbox({ source: 'bench', registry: testRegistry });
  const consumer = createEventConsumer({
    db: consumerDb,
    bus: subBus,
    registry: testRegistry,
    consumer: 'bench-latency',
    handlers: { [NoteAdded.type]: recordEffect },
    // The effect (a row per event) in one statement per run of a batch; BENCH_PER_EVENT=1 measures the
    // per-event handler instead.
    ...(PER_EVENT ? {} : { batchHandlers: { [NoteAdded.type]: recordEffects } }),
    ...CONSUMER_OPTIONS,
  });
  await consumer.start();
  const relay = createOutboxRelay({ db, bus: pubBus, ...RELAY_OPTIONS });
  await relay.start();
  const total = rate * seconds;
  const start = process.hrtime.bigint();
  const writes = new Set<Promise<void>>();
  for (let n = 0; n < total; n++) {
    const due = start + BigInt(Math.round((n * 1e9) / rate));
    const wait = Number(due - process.hrtime.bigint()) / 1e6;
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // A bounded number of writes in flight: on a machine that cannot keep the schedule they fall behind
    // (reported below) instead of queueing thousands of transactions for the pool until they time out.
    while (writes.size >= MAX_STEADY_WRITES) await Promise.race(writes);
    const write = db
      .transaction((tx) => outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n } }))
      .then((envelope) => {
        if (appliedFirst.delete(envelope.id)) {
          latencies.push(0);
          early++;
        } else committedAt.set(envelope.id, process.hrtime.bigint());
      })
      .finally(() => writes.delete(write));
    writes.add(write);
  }
  await Promise.all(writes);
  // Whether the machine kept the schedule: if the commits themselves fall behind, the relay's claims
  // queue behind them in the pool and the latency measures that backlog, not the pipeline.
  const committedPerSecond = total / (Number(process.hrtime.bigint() - start) / 1e9);
  const deadline = Date.now() + 30_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  await relay.stop();
  await consumer.stop();
  await pubBus.close();
  await inner.close();
  await db.close();
  await consumerDb.close();
  latencies.sort((a, b) => a - b);
  confirmLatencies.sort((a, b) => a - b);
  const at = (q: number, of = latencies) => of[Math.min(of.length - 1, Math.floor(q * of.length))] ?? NaN;
  return {
    p50: at(0.5),
    p99: at(0.99),
    confirmedP50: at(0.5, confirmLatencies),
    confirmedP99: at(0.99, confirmLatencies),
    measured: latencies.length,
    early,
    total,
    committedPerSecond,
  };
}

/** A stored envelope of the size the relay publishes (ids are UUIDv7 strings, time ISO). */
function sampleEnvelope(): Buffer {
  const id = '01939a4c-7b1e-7cc0-8a3b-5f2d8e9c0a11';
  return Buffer.from(
    JSON.stringify({
      id,
      type: NoteAdded.type,
      source: 'bench',
      time: new Date().toISOString(),
      tenantId: TENANT_A,
      correlationId: id,
      data: { n: 1234 },
    }),
  );
}

/**
 * CPU seconds so far of this process, and of each live broker (beam.smp) and PostgreSQL process. The
 * machine is shared: others' use of the broker is in its figure too; PostgreSQL is counted by backend.
 */
function cpuSeconds(): { node: number; procs: Map<string, { key: 'broker' | 'postgres'; cpu: number }> } {
  const usage = process.cpuUsage();
  const procs = new Map<string, { key: 'broker' | 'postgres'; cpu: number }>();
  if (os.platform() === 'linux') {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const key = comm === 'beam.smp' ? 'broker' : comm === 'postgres' ? 'postgres' : undefined;
      if (!key) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(pid, { key, cpu: (Number(fields[11]) + Number(fields[12])) / 100 }); // utime + stime ticks
    }
  }
  return { node: (usage.user + usage.system) / 1e6, procs };
}

/** The pids of the PostgreSQL backends serving `db`'s database (this run's, not the machine's others). */
async function backendPids(db: Database): Promise<Set<string>> {
  const found = await db.withTenant(allTenants, (tx) =>
    rows<{ pid: string }>(
      tx,
      sql`select pid::text as pid from pg_stat_activity where datname = current_database()`,
    ),
  );
  return new Set(found.map((r) => r.pid));
}

/**
 * CPU spent since a cpuSeconds() reading, per process kind, in ms per 1,000 events. PostgreSQL: only the
 * backends in `pgPids` (the run's own), or none when not given (the raw baseline uses no database).
 */
function cpuPer1000(before: ReturnType<typeof cpuSeconds>, count: number, pgPids?: Set<string>): string {
  const after = cpuSeconds();
  const spent = { node: after.node - before.node, broker: 0, postgres: 0 };
  for (const [pid, p] of after.procs) {
    if (p.key === 'postgres' && !pgPids?.has(pid)) continue;
    spent[p.key] += p.cpu - (before.procs.get(pid)?.cpu ?? 0);
  }
  const ms = (k: keyof typeof spent) => ((spent[k] * 1000) / count) * 1000;
  return `CPU ms per 1000 events: node ${ms('node').toFixed(0)}, broker ${ms('broker').toFixed(0)} (all of the machine's)${pgPids ? `, postgres ${ms('postgres').toFixed(0)} (the run's backends)` : ''}`;
}

/** The machine is shared: the load averages (1, 5, 15 min) say how much of it this run had. */
function loadavg(): string {
  return os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

async function main() {
  const testDb = await createTestDatabase('gm_bench');
  const vhost = await createTestVhost();
  try {
    const body = sampleEnvelope();
    if (process.env.BENCH_ONLY === 'pipeline') {
      // Profiling aid: the pipeline alone (no baseline, no ratio).
      const only = await outboxPipeline(testDb.url, vhost.url);
      console.log(`outbox → RabbitMQ → inbox: ${only.perSecond.toFixed(0)} events/s; load ${loadavg()}`);
      return;
    }
    if (process.env.BENCH_ONLY === 'latency') {
      // Profiling aid: the steady-rate latency alone.
      const db = openPostgres({ url: testDb.url, max: 1 });
      await migrate(db, [NOTES_MIGRATIONS]);
      await db.close();
      const l = await steadyLatency(testDb.url, vhost.url, 1000, 5);
      console.log(
        `latency at 1000/s (committed at ${l.committedPerSecond.toFixed(0)}/s, ${l.measured}/${l.total}): p50 ${l.p50.toFixed(1)} ms, p99 ${l.p99.toFixed(1)} ms (commit → confirmed p50 ${l.confirmedP50.toFixed(1)} ms, p99 ${l.confirmedP99.toFixed(1)} ms); load ${loadavg()}`,
      );
      return;
    }
    // Both sides in the same run on the same broker: the raw sweep, the pipeline, then raw's best
    // settings once more (the machine is shared; the better of the two raw runs is the baseline).
    const sweep = await rawBaseline(vhost.url, body);
    const pipeline = await outboxPipeline(testDb.url, vhost.url);
    const again = await rawTrial(vhost.url, body, N, sweep.window, sweep.prefetch);
    console.log(
      `  raw again (w${sweep.window}/p${sweep.prefetch}): ${again.toFixed(0)} msg/s; ${lastRawCpu}`,
    );
    const raw = Math.max(sweep.best, again);
    const latency = await steadyLatency(testDb.url, vhost.url, 1000, 5);
    console.log(`events: ${N}, payload ${body.length} bytes, ${os.cpus().length} cores, load ${loadavg()}`);
    console.log(
      `business writes (${WRITERS} writers, ${PER_TX} events per transaction, outbox rows included): ${pipeline.writesPerSecond.toFixed(0)} events/s committed`,
    );
    console.log(
      `raw amqplib publish+consume+ack, quorum queue, sliding confirm window ${sweep.window}, prefetch ${sweep.prefetch} (best of the sweep; ${again.toFixed(0)} when run again after the pipeline): ${raw.toFixed(0)} msg/s`,
    );
    console.log(
      `outbox → RabbitMQ → inbox (committed rows relayed with confirms, applied once with the inbox; consumer ${JSON.stringify(CONSUMER_OPTIONS)}, relay ${JSON.stringify(RELAY_OPTIONS)} over the kit's defaults): ${pipeline.perSecond.toFixed(0)} events/s`,
    );
    console.log(`ratio (outbox pipeline / raw): ${(pipeline.perSecond / raw).toFixed(2)} (goal ≥ 0.50)`);
    console.log(
      `latency commit → applied at a steady 1000 events/s (${latency.measured}/${latency.total} events, ${latency.early} applied before their commit call returned, one per transaction, committed at ${latency.committedPerSecond.toFixed(0)}/s): p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (of which commit → broker confirm: p50 ${latency.confirmedP50.toFixed(1)} ms, p99 ${latency.confirmedP99.toFixed(1)} ms)`,
    );
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
