/**
 * bench/login: logins per second and p95 latency through the identity HTTP API (argon2id at OWASP
 * parameters behind the service's concurrency cap, real PostgreSQL), beside raw argon2id hashes per second
 * measured in the same run with the same parameters and parallelism — the physical limit of this design.
 * The ratio (logins/s ÷ raw hashes/s) is printed last; 1.0 would mean HTTP, DB and tokens cost nothing.
 *
 *   npm run bench -- login      (BENCH_LOGINS=200, BENCH_CLIENTS=16, BENCH_ARGON2_CAP=2 by default)
 */
import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { createInMemoryBus, createLogger, openPostgres, runService } from '../../packages/service-kit/src';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { ARGON2_OPTIONS } from '../../services/identity/src/domain/passwords';
import { identityService, seedIdentityDemo } from '../../services/identity/src/service';

const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const CAP = Number(process.env.BENCH_ARGON2_CAP ?? 2);

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

async function rawHashesPerSecond(count: number): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CAP }, async () => {
      while (next++ < count) await argon2.hash('bench-password-1', ARGON2_OPTIONS);
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main() {
  const testDb = await createTestDatabase('gm_bench_login');
  const db = openPostgres({ url: testDb.url, max: 20 });
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
  try {
    const demo = await seedIdentityDemo(db, running.built.services);
    const body = JSON.stringify({ email: demo.platformClient.email, password: demo.platformClient.password });
    const login = async () => {
      const t0 = process.hrtime.bigint();
      const res = await fetch(`${running.url}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    for (let i = 0; i < 4; i++) await login(); // warm-up

    const latencies: number[] = [];
    let issued = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (issued++ < LOGINS) latencies.push(await login());
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const loginsPerSec = latencies.length / seconds;
    latencies.sort((a, b) => a - b);

    const raw = await rawHashesPerSecond(Math.max(20, Math.round(LOGINS / 2)));
    console.log(
      `cores: ${availableParallelism()}  argon2id m=19456 t=2 p=1  cap: ${CAP}  clients: ${CLIENTS}`,
    );
    console.log(
      `logins: ${latencies.length} in ${seconds.toFixed(2)} s → ${loginsPerSec.toFixed(1)} logins/s`,
    );
    console.log(
      `latency p50 ${percentile(latencies, 0.5).toFixed(0)} ms  p95 ${percentile(latencies, 0.95).toFixed(0)} ms`,
    );
    console.log(`raw argon2id (same run, ${CAP} in parallel): ${raw.toFixed(1)} hashes/s`);
    console.log(`ratio logins/s ÷ raw hashes/s: ${(loginsPerSec / raw).toFixed(2)}`);
  } finally {
    await running.stop();
    await bus.close();
    await db.close();
    await testDb.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
