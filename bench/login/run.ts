/**
 * bench/login: logins per second and p95 latency through the identity HTTP API (argon2id at OWASP
 * parameters behind the service's concurrency cap, real PostgreSQL), beside raw argon2id hashes per second
 * measured in the same run with the same parameters and parallelism — the physical limit of this design.
 * The ratio (logins/s ÷ raw hashes/s) is printed last; 1.0 would mean HTTP, DB and tokens cost nothing.
 *
 * The machine may be shared: raw hashing and logins alternate in rounds (raw, logins, raw, logins, …), so a
 * change of load during the run weighs on both sides alike; each round's ratio is printed with the total.
 * CPU per operation (this process, and the PostgreSQL backends of the service's pool) says what a login
 * costs beside its hash, whatever the load.
 *
 *   npm run bench -- login   (BENCH_LOGINS=240, BENCH_ROUNDS=4, BENCH_CLIENTS=16, BENCH_ARGON2_CAP=2)
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { sql } from 'drizzle-orm';
import {
  createInMemoryBus,
  createLogger,
  openPostgres,
  rows,
  runService,
  type Database,
  type Tx,
} from '../../packages/service-kit/src';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { ARGON2_OPTIONS } from '../../services/identity/src/domain/passwords';
import { identityService, seedIdentityDemo } from '../../services/identity/src/service';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 240);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const CAP = Number(process.env.BENCH_ARGON2_CAP ?? 2);
const POOL = 20;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

/** CPU seconds used so far by this process (every thread: the argon2 pool included). */
const processCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** CPU seconds used so far by these PostgreSQL backends (Linux /proc; 0 where unreadable). */
function backendsCpu(pids: number[]): number {
  const tick = 100; // USER_HZ
  let total = 0;
  for (const pid of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / tick;
    } catch {
      // a backend that ended, or /proc not readable
    }
  }
  return total;
}

interface Phase {
  ops: number;
  seconds: number;
  cpu: number;
  pgCpu: number;
}
const rate = (p: Phase) => p.ops / p.seconds;
const sum = (list: Phase[]): Phase =>
  list.reduce((a, b) => ({
    ops: a.ops + b.ops,
    seconds: a.seconds + b.seconds,
    cpu: a.cpu + b.cpu,
    pgCpu: a.pgCpu + b.pgCpu,
  }));

async function measure(pids: () => number[], work: () => Promise<number>): Promise<Phase> {
  const ids = pids();
  const cpu0 = processCpu();
  const pg0 = backendsCpu(ids);
  const t0 = process.hrtime.bigint();
  const ops = await work();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { ops, seconds, cpu: processCpu() - cpu0, pgCpu: backendsCpu(ids) - pg0 };
}

async function rawHashes(count: number): Promise<number> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CAP }, async () => {
      while (next++ < count) await argon2.hash('bench-password-1', ARGON2_OPTIONS);
    }),
  );
  return count;
}

async function main() {
  const testDb = await createTestDatabase('gm_bench_login');
  const pool = openPostgres({ url: testDb.url, max: POOL });
  // Counts what the service asks of PostgreSQL: transactions, and statements (a transaction adds BEGIN and
  // COMMIT, withTenant also its set_config — the kit sends the first two with the first statement; a
  // readWithTenant is its one statement, begin, tenant and commit in one query).
  const counts = { transactions: 0, statements: 0 };
  const counting = (tx: Tx): Tx =>
    new Proxy(tx, {
      get(target, prop, receiver) {
        if (prop !== 'execute') return Reflect.get(target, prop, receiver) as unknown;
        return (query: Parameters<Tx['execute']>[0]) => {
          counts.statements += 1;
          return target.execute(query);
        };
      },
    });
  const db: Database = {
    ...pool,
    transaction(fn) {
      counts.transactions += 1;
      counts.statements += 2;
      return pool.transaction((tx) => fn(counting(tx)));
    },
    withTenant(scope, fn) {
      counts.transactions += 1;
      counts.statements += 3;
      return pool.withTenant(scope, (tx) => fn(counting(tx)));
    },
    // one statement, its begin, tenant and commit in the same query
    readWithTenant(scope, fn) {
      counts.transactions += 1;
      return pool.readWithTenant(scope, (tx) => fn(counting(tx)));
    },
  };
  const bus = createInMemoryBus();
  const running = await runService(
    identityService({
      issuer: 'https://identity.bench',
      audience: 'geminis',
      encryptionKey: 'bench-encryption-key-0123456789-0123456789',
      argon2Concurrency: CAP,
      lockoutThreshold: 1_000_000,
    }),
    {
      db,
      bus,
      logger: createLogger({ service: 'identity', level: 'silent' }),
      serviceKey: 'bench-service-key-0123456789-0123456789',
      port: 0,
    },
  );
  // The service's backends, read from another connection (the bench's own queries are not counted).
  const observer = openPostgres({ url: testDb.url, max: 1 });
  let backendPids: number[] = [];
  const refreshPids = async () => {
    backendPids = (
      await observer.transaction((tx) =>
        rows<{ pid: number }>(
          tx,
          sql`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
        ),
      )
    ).map((r) => r.pid);
  };
  try {
    const demo = await seedIdentityDemo(db, running.built.services);
    const body = JSON.stringify({ email: demo.platformClient.email, password: demo.platformClient.password });
    // The load generator shares the machine with what it measures: node:http on kept-alive sockets costs
    // it about half of what fetch() does per request, which would otherwise be charged to the service.
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const target = new URL('/v1/auth/login', running.url);
    const post = () =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = request(
          target,
          {
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const login = async () => {
      const t0 = process.hrtime.bigint();
      const res = await post();
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    // Warm-up: enough concurrent logins to open the pool's connections, so every backend is counted.
    await Promise.all(Array.from({ length: CLIENTS }, () => login()));
    await rawHashes(CAP * 2);
    await refreshPids();

    const latencies: number[] = [];
    const logins = async (count: number) => {
      let issued = 0;
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (issued++ < count) latencies.push(await login());
        }),
      );
      return count;
    };
    const perRound = Math.max(CLIENTS, Math.round(LOGINS / ROUNDS));
    const hashesPerRound = Math.max(10, Math.round(perRound / 2));
    const raw: Phase[] = [];
    const ours: Phase[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      raw.push(
        await measure(
          () => [],
          () => rawHashes(hashesPerRound),
        ),
      );
      ours.push(
        await measure(
          () => backendPids,
          () => logins(perRound),
        ),
      );
    }
    // Round trips per login, one at a time (the relay polls rarely; its rounds are counted too).
    const sequential = 40;
    const before = { ...counts };
    for (let i = 0; i < sequential; i++) await login();
    const perLogin = (key: keyof typeof counts) => ((counts[key] - before[key]) / sequential).toFixed(1);
    latencies.sort((a, b) => a - b);
    const r = sum(raw);
    const o = sum(ours);

    console.log(
      `cores: ${availableParallelism()}  argon2id m=19456 t=2 p=1  cap: ${CAP}  clients: ${CLIENTS}  rounds: ${ROUNDS}`,
    );
    console.log(`logins: ${o.ops} in ${o.seconds.toFixed(2)} s → ${rate(o).toFixed(1)} logins/s`);
    console.log(
      `latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms  p95 ${percentile(latencies, 0.95).toFixed(0)} ms`,
    );
    console.log(
      `raw argon2id (same run, ${CAP} in parallel): ${r.ops} in ${r.seconds.toFixed(2)} s → ${rate(r).toFixed(1)} hashes/s`,
    );
    console.log(
      `cpu per raw hash ${((1000 * r.cpu) / r.ops).toFixed(1)} ms; per login ${((1000 * o.cpu) / o.ops).toFixed(1)} ms ` +
        `in this process + ${((1000 * o.pgCpu) / o.ops).toFixed(1)} ms in PostgreSQL`,
    );
    console.log(
      `per login: ${perLogin('transactions')} transactions, ${perLogin('statements')} statements (round trips)`,
    );
    console.log(`ratio per round: ${ours.map((p, i) => (rate(p) / rate(raw[i]!)).toFixed(2)).join(' ')}`);
    console.log(`ratio logins/s ÷ raw hashes/s: ${(rate(o) / rate(r)).toFixed(2)}`);
    agent.destroy();
  } finally {
    await observer.close();
    await running.stop();
    await bus.close();
    await pool.close();
    await testDb.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
