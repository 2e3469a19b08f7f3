/**
 * bench/provisioning: provisioning jobs per second through the job runner (durable jobs claimed from real
 * PostgreSQL under a lease, the account row and sealed password written first, WHM `listaccts` then
 * `createacct` through the panel adapter with its breaker and per-server bound, the state change and the
 * `provisioned` event committed with the job) against the loopback WHM stand-in, beside the best of three
 * raw loops making the same two HTTP calls per account to the same stand-in with the same concurrency,
 * measured in the same run. The ratio (jobs/s ÷ raw accounts/s) is printed last; 1.0 would mean the job
 * machinery costs nothing next to the panel calls.
 *
 *   npm run bench -- provisioning      (BENCH_JOBS=300, BENCH_CONCURRENCY=4 by default; at most 500 jobs,
 *                                       the demo server's capacity)
 */
import { availableParallelism } from 'node:os';
import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import {
  createInMemoryBus,
  createTokenVerifier,
  createLogger,
  newId,
  openPostgres,
  rows,
  runService,
} from '../../packages/service-kit/src';
import { tenantScope } from '../../packages/service-kit/src/tenant';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { createTestIssuer } from '../../packages/service-kit/src/testing/tokens';
import { startWhmStandIn } from '../../services/provisioning/src/dev/whm-stand-in';
import { seedProvisioningDemo } from '../../services/provisioning/src/seed';
import { provisioningService } from '../../services/provisioning/src/service';
import { notifyRunners, recordJob } from '../../services/provisioning/src/store/jobs.store';

const JOBS = Math.min(500, Number(process.env.BENCH_JOBS ?? 300));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const KEY = 'bench-encryption-key-0123456789-0123456789';

/** a, b, …, z, ba, … padded to three letters: user names that never collide (no numeric suffix search). */
const letters = (i: number) => {
  let s = '';
  for (let n = i, k = 0; k < 3; k++, n = Math.floor(n / 26)) s = String.fromCharCode(97 + (n % 26)) + s;
  return s;
};

/** The same two WHM API 1 calls per account as the adapter makes (read first, then create), no job machinery. */
async function rawTrial(base: string, prefix: string, count: number): Promise<number> {
  const auth = { authorization: 'whm root:demo-platform-token', accept: 'application/json' };
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < count; i = next++) {
        const user = `${prefix}${letters(i)}`;
        const look = await fetch(
          `${base}/json-api/listaccts?api.version=1&search=${user}&searchtype=user&searchmethod=exact&want=user,domain,plan,suspended`,
          { headers: auth },
        );
        const found = (await look.json()) as { data?: { acct?: unknown[] } };
        if (found.data?.acct?.length) throw new Error(`raw: ${user} exists`);
        const created = await fetch(`${base}/json-api/createacct?api.version=1`, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            username: user,
            domain: `${user}.example`,
            plan: 'starter',
            password: 'Raw-bench-password-123',
            contactemail: 'raw@example.com',
            reseller: '0',
          }).toString(),
        });
        const body = (await created.json()) as { metadata?: { result?: number } };
        if (body.metadata?.result !== 1) throw new Error(`raw: createacct ${user} failed`);
      }
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main() {
  const whm = await startWhmStandIn();
  const testDb = await createTestDatabase('gm_bench_provisioning');
  const db = openPostgres({ url: testDb.url, max: 20 });
  const bus = createInMemoryBus();
  const issuer = createTestIssuer();
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });
  const running = await runService(
    provisioningService({
      encryptionKey: KEY,
      jobs: { autoStart: false, concurrency: CONCURRENCY, pollMs: 50, maxAttempts: 3 },
      panelConcurrency: CONCURRENCY,
      sync: { enabled: false },
      usage: { enabled: false },
      domains: { sync: { enabled: false } },
    }),
    {
      db,
      bus,
      logger: createLogger({ service: 'provisioning', level: 'silent' }),
      port: 0,
      relayPollMs: 50,
      verifier,
    },
  );
  try {
    const productId = newId();
    await seedProvisioningDemo(db, {
      encryptionKey: KEY,
      panel: { hostname: '127.0.0.1', port: whm.port, tls: false },
      resellerTenantId: newId(),
      platformProductIds: [productId],
    });
    const scope = tenantScope(PLATFORM_TENANT_ID);
    const request = (i: number) => ({
      serviceId: newId(),
      orderId: newId(),
      invoiceId: newId(),
      client: { clientId: newId(), email: `c${i}@example.com`, name: `Client ${i}` },
      cycle: 'monthly',
      productId,
      productName: 'Starter Hosting',
      productType: 'shared_hosting',
      module: 'cpanel',
      moduleConfig: { package: 'starter', reseller: false },
      domain: `shop${letters(i)}.example`,
    });
    await db.withTenant(scope, async (tx) => {
      for (let i = 0; i < JOBS; i++) {
        const data = request(i);
        await recordJob(tx, scope, {
          id: newId(),
          serviceId: data.serviceId,
          clientId: data.client.clientId,
          action: 'provision',
          request: data,
          eventId: newId(),
          correlationId: null,
          maxAttempts: 3,
        });
      }
      await notifyRunners(tx);
    });

    const runner = running.built.services.runner;
    const settled = async () => {
      const [r] = await db.withTenant(scope, (tx) =>
        rows<{ done: number; failed: number }>(
          tx,
          sql`select count(*) filter (where status = 'done')::int as done,
                     count(*) filter (where status = 'failed')::int as failed from jobs`,
        ),
      );
      return r!;
    };
    const start = process.hrtime.bigint();
    await runner.start();
    for (let s = await settled(); s.done + s.failed < JOBS; s = await settled())
      await new Promise((r) => setTimeout(r, 20));
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    await runner.stop();
    const { done, failed } = await settled();
    if (failed > 0 || whm.calls.createacct !== JOBS)
      throw new Error(`runner: ${failed} failed, ${whm.calls.createacct} createacct for ${JOBS} jobs`);
    const jobsPerSec = JOBS / seconds;

    const base = `http://127.0.0.1:${whm.port}`;
    const trials: number[] = [];
    for (const prefix of ['ra', 'rb', 'rc']) trials.push(await rawTrial(base, prefix, JOBS));
    const raw = Math.max(...trials);

    console.log(
      `cores: ${availableParallelism()}  jobs: ${JOBS}  concurrency (runner and per server): ${CONCURRENCY}`,
    );
    console.log(`runner: ${done} accounts in ${seconds.toFixed(2)} s → ${jobsPerSec.toFixed(1)} jobs/s`);
    console.log(
      `raw listaccts+createacct (same stand-in, same run, best of ${trials.map((t) => t.toFixed(0)).join('/')}): ${raw.toFixed(1)} accounts/s`,
    );
    console.log(`ratio jobs/s ÷ raw accounts/s: ${(jobsPerSec / raw).toFixed(2)}`);
  } finally {
    await running.stop();
    await bus.close();
    await db.close();
    await testDb.drop();
    await whm.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
