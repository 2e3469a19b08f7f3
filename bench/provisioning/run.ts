/**
 * bench/provisioning, two sections.
 *
 * 1. The issue's benchmark (bench/provisioning/platform.ts has how it is measured): the whole platform on
 *    real PostgreSQL and RabbitMQ — started and seeded by scripts/platform.ts's startPlatform, then billing,
 *    catalog, provisioning and support moved to processes of their own (BENCH_SEPARATE; empty: all in one
 *    process), the gateway and identity staying in the bench's — with the WHM API 1 stand-in as the panel. Clients'
 *    orders are placed and paid through the gateway at BENCH_RATE orders/s (20); paid → provisioned and
 *    paid → active latency, p50/p99, and accounts per minute, for a panel answering at once and for one
 *    taking BENCH_SLOW_MS (2000) per createacct, side by side. Goals: p99 ≤ 250 ms at 20 orders/s;
 *    ≥ 200 accounts per minute against the 2 s panel with a bounded per-server concurrency
 *    (PROVISIONING_PANEL_CONCURRENCY = BENCH_PANEL_CONCURRENCY, 10).
 * 2. Jobs per second through the job runner alone (durable jobs claimed from real PostgreSQL under a lease,
 *    the account row and sealed password written first, WHM `listaccts` then `createacct` through the
 *    panel adapter with its breaker and per-server bound, the state change and the `provisioned` event
 *    committed with the job) against the stand-in, beside the best of three raw loops making the same two
 *    HTTP calls per account with the same concurrency, in the same run: the ratio jobs/s ÷ raw accounts/s
 *    (1.0 would mean the job machinery costs nothing next to the panel calls). BENCH_RUNNER=0 skips it
 *    (BENCH_PLATFORM=0 skips section 1).
 *
 *   npm run bench -- provisioning   (BENCH_ORDERS=200 per case, BENCH_RATE=20, BENCH_SLOW_MS=2000,
 *                                    BENCH_PANEL_CONCURRENCY=10, BENCH_WARMUP=30, BENCH_JOBS=300,
 *                                    BENCH_CONCURRENCY=4, BENCH_SEPARATE=billing,catalog,provisioning,support;
 *                                    BENCH_SLOW=0 skips the slow panel's case, BENCH_NODE_FLAGS adds node flags
 *                                    to the services' processes, BENCH_PG_LOG=1 logs their statements)
 */
import { randomBytes } from 'node:crypto';
import { PLATFORM_TENANT_ID, type ServiceName } from '@geminis/contracts';
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
import { machine, percentile, runPlatformBench, type CaseResult } from './platform';

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

async function runnerSection() {
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
      keepPublishedEvents: true,
      relayPollMs: 50,
      verifier,
      serviceKey: randomBytes(32).toString('base64url'),
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

    console.log(`-- job runner alone: jobs: ${JOBS}  concurrency (runner and per server): ${CONCURRENCY}`);
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

const ORDERS = Math.min(220, Number(process.env.BENCH_ORDERS ?? 200));
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30);
const RATE = Number(process.env.BENCH_RATE ?? 20);
const SLOW_MS = Number(process.env.BENCH_SLOW_MS ?? 2000);
const PANEL_CONCURRENCY = Number(process.env.BENCH_PANEL_CONCURRENCY ?? 10);
/** Services run as processes of their own (the rest, with the gateway and identity, in the bench's). */
const SEPARATE = (process.env.BENCH_SEPARATE ?? 'billing,catalog,provisioning,support')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean) as ServiceName[];

const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');

function table(results: CaseResult[]) {
  const rows: Array<[string, (r: CaseResult) => string]> = [
    ['createacct takes', (r) => `${r.createDelayMs} ms`],
    ['orders paid', (r) => `${r.orders - r.errors.length}/${r.orders}`],
    ['paid per second (achieved)', (r) => r.paidPerSecond.toFixed(1)],
    [
      'checkout (order + payment) p50/p99 ms',
      (r) => `${f0(percentile(r.checkout, 50))} / ${f0(percentile(r.checkout, 99))}`,
    ],
    [
      'paid → provision requested p50/p99 ms',
      (r) => `${f0(percentile(r.requested, 50))} / ${f0(percentile(r.requested, 99))}`,
    ],
    ['paid → provisioned p50 ms', (r) => f0(percentile(r.provisioned, 50))],
    ['paid → provisioned p99 ms', (r) => f0(percentile(r.provisioned, 99))],
    ['paid → active p50 ms', (r) => f0(percentile(r.active, 50))],
    ['paid → active p99 ms', (r) => f0(percentile(r.active, 99))],
    ['paid → active max ms', (r) => f0(Math.max(...r.active))],
    ['accounts active per minute', (r) => f0(r.perMinute)],
    ['CPU ms per order (all processes)', (r) => r.cpuMsPerOrder.toFixed(1)],
    ['event loop busy (bench process)', (r) => `${(r.eventLoopUtilization * 100).toFixed(0)} %`],
    ...Object.keys(results[0]!.cpuByProcess)
      .sort()
      .map(
        (name) =>
          [`CPU ms per order: ${name}`, (r: CaseResult) => (r.cpuByProcess[name] ?? 0).toFixed(1)] as [
            string,
            (r: CaseResult) => string,
          ],
      ),
    ...Object.keys(results[0]!.commitsPerOrder)
      .sort()
      .map(
        (service) =>
          [
            `${service}: transactions per order`,
            (r: CaseResult) => (r.commitsPerOrder[service] ?? 0).toFixed(1),
          ] as [string, (r: CaseResult) => string],
      ),
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const col = 22;
  console.log(`${''.padEnd(width)}  ${results.map((r) => r.name.padStart(col)).join('')}`);
  for (const [label, cell] of rows)
    console.log(`${label.padEnd(width)}  ${results.map((r) => cell(r).padStart(col)).join('')}`);
  console.log('where the time goes, p50 / p99 ms per stage:');
  for (const [k, stage] of results[0]!.stages.entries())
    console.log(
      `  ${stage.name.padEnd(78)}${results
        .map((r) => {
          const ms = r.stages[k]!.ms;
          return `${f0(percentile(ms, 50))} / ${f0(percentile(ms, 99))}`.padStart(col);
        })
        .join('')}`,
    );
  for (const r of results) for (const e of r.errors.slice(0, 5)) console.log(`  ${r.name}: ${e}`);
}

async function main() {
  console.log(machine());
  if (process.env.BENCH_PLATFORM !== '0') await platformSection();
  if (process.env.BENCH_RUNNER !== '0') await runnerSection();
}

async function platformSection() {
  const { results, startSeconds, createacct } = await runPlatformBench(
    {
      jobConcurrency: Math.max(PANEL_CONCURRENCY, 4),
      panelConcurrency: PANEL_CONCURRENCY,
      jobPollMs: 1000,
      logLevel: process.env.BENCH_LOG ?? 'silent',
      separate: SEPARATE,
    },
    [
      // Not reported: the services' code compiled and their pools and channels open before anything counts.
      { name: 'warm-up', orders: WARMUP, perSecond: 5, createDelayMs: 0, warmUp: true },
      { name: 'panel at once', orders: ORDERS, perSecond: RATE, createDelayMs: 0 },
      // BENCH_SLOW=0 skips the slow panel's case (a quicker run, e.g. to sweep BENCH_RATE).
      ...(process.env.BENCH_SLOW === '0'
        ? []
        : [
            {
              name: `panel ${SLOW_MS / 1000} s/createacct`,
              orders: ORDERS,
              perSecond: RATE,
              createDelayMs: SLOW_MS,
            },
          ]),
    ],
  );
  console.log(
    `-- the platform (${SEPARATE.length ? `${SEPARATE.join(', ')} as processes of their own, gateway and identity in the bench's` : 'one process'}; ` +
      `real PostgreSQL + RabbitMQ; started in ${startSeconds.toFixed(1)} s; ${WARMUP} warm-up orders first, not counted): ` +
      `${ORDERS} orders per case placed and paid through the gateway at ${RATE}/s; ` +
      `per-server panel concurrency ${PANEL_CONCURRENCY}; createacct calls on the panel: ${createacct}`,
  );
  table(results);
  const [fast, slow] = results;
  console.log(
    `goals: p99 paid → active ≤ 250 ms at ${RATE} orders/s: ${f0(percentile(fast!.active, 99))} ms ` +
      `(${percentile(fast!.active, 99) <= 250 ? 'met' : 'MISSED'}); ≥ 200 accounts/min at ${SLOW_MS} ms per createacct: ` +
      (slow
        ? `${f0(slow.perMinute)} (${slow.perMinute >= 200 ? 'met' : 'MISSED'})`
        : 'not run (BENCH_SLOW=0)'),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
