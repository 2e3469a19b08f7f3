/**
 * The platform part of bench/provisioning: every service (identity, catalog, billing, provisioning,
 * support) and the gateway started and seeded by scripts/platform.ts's `startPlatform`, as `npm start` and
 * the journey test start them, on real PostgreSQL (a database per service) and real RabbitMQ (a throwaway
 * vhost), with the panel replaced by the loopback WHM API 1 stand-in that the platform's demo servers point
 * at. Then the services named in `separate` are moved to **processes of their own** (their main.ts, as
 * compose and Kubernetes run them, on the same port, database, vhost and secrets); the gateway, identity
 * and the bench's client stay in the bench's process (startPlatform has no way to seed across processes).
 *
 * Clients' orders are placed and paid through the gateway's HTTP API only, open-loop at a fixed pace (order
 * i is sent at i / rate seconds whatever the earlier ones are doing): `POST /v1/orders` as Acme's client,
 * then the manual payment `POST /v1/invoices/:id/payments` as Acme (the reseller), each with an
 * Idempotency-Key. Latency runs from the payment's HTTP answer reaching the client to:
 * - `provisioned`: `provisioning.service.provisioned.v1` delivered to a queue of the bench's own on the same
 *   RabbitMQ exchange (billing's queue receives the same message at the same time);
 * - `active`: the commit of billing's client service turning `active` (a trigger the bench adds to billing's
 *   throwaway database NOTIFYs on that update; the bench LISTENs — no polling, no load on the API).
 */
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { serviceUrlVariable, type ServiceName } from '@geminis/contracts';
import { Client } from 'pg';
import { AUDIENCE, ISSUER, startPlatform, type Platform } from '../../scripts/platform';
import { createLogger, openPostgres, type Database } from '../../packages/service-kit/src';
import { createRabbitBus } from '../../packages/service-kit/src/bus';
import { createTestDatabase, type TestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { createTestVhost } from '../../packages/service-kit/src/testing/rabbit';
import { DEMO_PASSWORDS } from '../../services/identity/src/service';

export interface CaseOptions {
  name: string;
  orders: number;
  perSecond: number;
  createDelayMs: number;
  /** Run, not reported. */
  warmUp?: boolean;
}

export interface CaseResult {
  name: string;
  orders: number;
  createDelayMs: number;
  /** Orders paid per second as achieved (first → last payment answer). */
  paidPerSecond: number;
  /** ms, payment answer → billing's provision request on the bus. */
  requested: number[];
  /** ms, payment answer → provisioned event. */
  provisioned: number[];
  /** ms, payment answer → billing's service active. */
  active: number[];
  /** Accounts active per minute, first payment answer → last service active. */
  perMinute: number;
  /** ms of the order and payment calls (what the client waits for at checkout). */
  checkout: number[];
  errors: string[];
  /** CPU time per order of the bench's process (gateway, identity, the client) and the services' own. */
  cpuMsPerOrder: number;
  /**
   * CPU ms per order by process: the bench's (gateway, identity, the client), each service's own process,
   * and each service database's PostgreSQL backends (`postgres: <service>`, from pg_stat_activity's pids).
   */
  cpuByProcess: Record<string, number>;
  /** Share of the case the bench process's event loop was busy (1: saturated). */
  eventLoopUtilization: number;
  /** Transactions committed per order, by service (its database's xact_commit; includes background work). */
  commitsPerOrder: Record<string, number>;
  /** Latency by stage, ms (from the services' rows). */
  stages: Array<{ name: string; ms: number[] }>;
}

export interface PlatformBenchOptions {
  jobConcurrency: number;
  panelConcurrency: number;
  jobPollMs: number;
  logLevel: string;
  /** Services moved to processes of their own once the platform is up and seeded (same port, database). */
  separate: ServiceName[];
}

const CHANNEL = 'bench_service_active';
const ROOT = join(__dirname, '..', '..');
const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

export async function runPlatformBench(options: PlatformBenchOptions, cases: CaseOptions[]) {
  const vhost = await createTestVhost();
  const logger = createLogger({ service: 'bench', level: options.logLevel });
  const bus = createRabbitBus({ url: vhost.url, logger });
  const testDbs: Partial<Record<ServiceName, TestDatabase>> = {};
  const pools: Database[] = [];
  let platform: Platform | undefined;
  const listener = { client: undefined as Client | undefined, provisioning: undefined as Client | undefined };
  const secretValues: Record<string, string> = {};
  const children: ChildProcess[] = [];
  const childOf = new Map<ChildProcess, ServiceName>();
  // The mails support writes for every order (no SMTP server) go to a folder of the run's own, removed after.
  const mailDir = mkdtempSync(join(tmpdir(), 'geminis-bench-mail-'));
  const env = {
    SUPPORT_MAIL_DIR: mailDir,
    PROVISIONING_JOB_CONCURRENCY: String(options.jobConcurrency),
    PROVISIONING_PANEL_CONCURRENCY: String(options.panelConcurrency),
    PROVISIONING_JOB_POLL_MS: String(options.jobPollMs),
    // One demo client places every order: the per-client API limit (1200/min) is lifted for the bench.
    API_RATE_PER_MINUTE: '1000000',
    TENANT_RATE_PER_MINUTE: '1000000',
  };
  try {
    const started = process.hrtime.bigint();
    platform = await startPlatform({
      async database(name: ServiceName) {
        const testDb = await createTestDatabase(`gm_bench_${name}`);
        testDbs[name] = testDb;
        // BENCH_PG_LOG=1: every statement of the services' databases in PostgreSQL's log, with its duration
        // (no pg_stat_statements here); the cases' time windows are printed to cut the log by.
        if (process.env.BENCH_PG_LOG === '1') {
          const c = new Client({ connectionString: testDb.adminUrl });
          await c.connect();
          await c.query(`alter database ${testDb.name} set log_min_duration_statement = 0`);
          await c.end();
        }
        // Small: the services moved out open their own (10 each), and PostgreSQL is shared with other work.
        const db = openPostgres({ url: testDb.url, max: 4, applicationName: name });
        pools.push(db);
        return db;
      },
      bus,
      logger,
      env,
      // Remembered, so a service moved to its own process gets the same keys.
      secrets: (names) =>
        Object.fromEntries(
          names.map((n) => [n, (secretValues[n] ??= randomBytes(32).toString('base64url'))]),
        ),
      gateway: { port: 0, host: '127.0.0.1' },
    });
    // Moves a service out: its in-process instance stops (HTTP, consumer, relay, jobs), and the same service
    // starts as its own process through its main.ts, as compose and Kubernetes run it, on the same port (the
    // gateway's upstream), database and vhost, with the same secrets.
    for (const name of options.separate) {
      const inProcess = platform.running[name];
      if (!inProcess) throw new Error(`no service ${name} to move out`);
      const port = new URL(inProcess.url).port;
      await inProcess.stop();
      // BENCH_NODE_FLAGS: extra node flags for the services' processes (e.g. `--cpu-prof --cpu-prof-dir=…`).
      const flags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
      const child = spawn(process.execPath, [...flags, '--import', 'tsx', `services/${name}/src/main.ts`], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          ...secretValues,
          ...env,
          ...Object.fromEntries(
            Object.entries(platform.running).map(([n, r]) => [serviceUrlVariable(n as ServiceName), r.url]),
          ),
          GEMINIS_MODE: 'embedded',
          // the stages below read when each event was published
          OUTBOX_KEEP_PUBLISHED: 'true',
          LOG_LEVEL: options.logLevel,
          OTEL_TRACES_EXPORTER: 'none',
          PORT: port,
          HOST: '127.0.0.1',
          DATABASE_URL: testDbs[name]!.url,
          AMQP_URL: vhost.url,
          JWKS_URL: `${platform.running.identity!.url}/.well-known/jwks.json`,
          JWT_ISSUER: ISSUER,
          JWT_AUDIENCE: AUDIENCE,
        },
      });
      children.push(child);
      childOf.set(child, name);
      const ready = Date.now() + 120_000;
      for (;;) {
        const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (child.exitCode !== null || Date.now() > ready)
          throw new Error(`${name} did not start as its own process`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // CPU time of the services' own processes (Linux /proc: utime + stime, in clock ticks of 10 ms).
    const childrenCpuMs = () =>
      children.reduce((sum, child) => {
        try {
          const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
          return sum + (Number(fields[11]) + Number(fields[12])) * 10;
        } catch {
          return sum;
        }
      }, 0);
    // CPU ms by process (see CaseResult.cpuByProcess), and the PostgreSQL backends by pid (a backend that
    // exits between two snapshots is lost; one that starts between them counts whole).
    const cpuOfPid = (pid: number | undefined) => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return (Number(fields[11]) + Number(fields[12])) * 10;
      } catch {
        return 0;
      }
    };
    const cpuSnapshot = async () => {
      const own = process.cpuUsage();
      const by = new Map<string, number>([
        ['bench (gateway, identity, client)', (own.user + own.system) / 1000],
      ]);
      for (const child of children) by.set(`${childOf.get(child)} process`, cpuOfPid(child.pid));
      const dbs = Object.entries(testDbs).map(([service, t]) => [t.name, service] as const);
      const serviceOf = new Map(dbs);
      const backends = new Map<number, { service: string; ms: number }>();
      const { rows } = await admin.query<{ pid: number; datname: string }>(
        `select pid, datname from pg_stat_activity where datname = any($1) and pid <> pg_backend_pid()`,
        [dbs.map(([name]) => name)],
      );
      for (const r of rows) backends.set(r.pid, { service: serviceOf.get(r.datname)!, ms: cpuOfPid(r.pid) });
      return { by, backends };
    };
    const cpuDelta = (
      a: Awaited<ReturnType<typeof cpuSnapshot>>,
      b: Awaited<ReturnType<typeof cpuSnapshot>>,
      orders: number,
    ) => {
      const out: Record<string, number> = {};
      for (const [k, v] of b.by) out[k] = (v - (a.by.get(k) ?? 0)) / orders;
      for (const [pid, x] of b.backends) {
        const k = `postgres: ${x.service}`;
        out[k] = (out[k] ?? 0) + (x.ms - (a.backends.get(pid)?.ms ?? 0)) / orders;
      }
      return out;
    };
    const startSeconds = ms(started, process.hrtime.bigint()) / 1000;
    const url = platform.gateway.url;

    // Billing's service turning active, as it commits.
    const billingDb = testDbs.billing!;
    const admin = new Client({ connectionString: billingDb.adminUrl });
    await admin.connect();
    await admin.query(`
      CREATE FUNCTION bench_service_active() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.status = 'active' AND OLD.status IS DISTINCT FROM 'active' THEN
          PERFORM pg_notify('${CHANNEL}', NEW.id::text);
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER bench_service_active AFTER UPDATE OF status ON client_services
        FOR EACH ROW EXECUTE FUNCTION bench_service_active();`);
    await admin.query(`LISTEN ${CHANNEL}`);
    listener.client = admin;
    const activeAt = new Map<string, bigint>();
    const wallOf: { active?: Map<string, number> } = {};
    admin.on('notification', (n) => {
      if (n.channel !== CHANNEL || !n.payload) return;
      activeAt.set(n.payload, process.hrtime.bigint());
      wallOf.active?.set(n.payload, performance.timeOrigin + performance.now());
    });
    // Where the time went, read afterwards from the services' own rows (PostgreSQL's clock, the same
    // machine's): billing's request published, provisioning's job recorded and finished, its result published.
    const provisioningAdmin = new Client({ connectionString: testDbs.provisioning!.adminUrl });
    await provisioningAdmin.connect();
    listener.provisioning = provisioningAdmin;
    const epochs = async (c: Client, q: string) =>
      new Map((await c.query<{ id: string; at: number }>(q)).rows.map((r) => [r.id, Number(r.at)] as const));
    // Transactions committed per service (its database's counter), to see how much each does per order.
    const commits = async (): Promise<Record<string, number>> => {
      const names = Object.entries(testDbs).map(([service, t]) => [t.name, service] as const);
      const { rows } = await admin.query<{ datname: string; n: string }>(
        `select datname, xact_commit::text as n from pg_stat_database where datname = any($1)`,
        [names.map(([name]) => name)],
      );
      const serviceOf = new Map(names);
      return Object.fromEntries(rows.map((r) => [serviceOf.get(r.datname)!, Number(r.n)]));
    };
    const stagesOf = async (paid: Map<string, number>, active: Map<string, number>) => {
      const requested = await epochs(
        admin,
        `select envelope->'data'->>'serviceId' as id, extract(epoch from published_at) * 1000 as at
           from outbox where type = 'billing.service.provision_requested.v1' and published_at is not null`,
      );
      const recorded = await epochs(
        provisioningAdmin,
        `select service_id::text as id, extract(epoch from created_at) * 1000 as at from jobs where action = 'provision'`,
      );
      const finished = await epochs(
        provisioningAdmin,
        `select service_id::text as id, extract(epoch from finished_at) * 1000 as at
           from jobs where action = 'provision' and finished_at is not null`,
      );
      const published = await epochs(
        provisioningAdmin,
        `select envelope->'data'->>'serviceId' as id, extract(epoch from published_at) * 1000 as at
           from outbox where type = 'provisioning.service.provisioned.v1' and published_at is not null`,
      );
      const chain = [paid, requested, recorded, finished, published, active];
      const names = [
        'billing: payment answered → its provision request published (outbox relay)',
        'bus → provisioning: request published → job recorded (consumer, inbox)',
        'provisioning: job recorded → finished (wake-up, claim, panel calls, commit)',
        'provisioning: job finished → provisioned published (outbox relay)',
        "bus → billing: provisioned published → billing's service active (consumer)",
      ];
      return names.map((name, k) => ({
        name,
        ms: [...paid.keys()].flatMap((id) => {
          const from = chain[k]!.get(id);
          const to = chain[k + 1]!.get(id);
          return from !== undefined && to !== undefined ? [to - from] : [];
        }),
      }));
    };

    // billing's provision requests and provisioning's results, on a queue of the bench's own (where the
    // time goes: billing's payment → its request on the bus → provisioning's result → billing applies it).
    const requestedAt = new Map<string, bigint>();
    const provisionedAt = new Map<string, bigint>();
    await bus.subscribe(
      {
        name: 'bench.provisioning',
        bindings: ['billing.service.provision_requested.v1', 'provisioning.service.provisioned.v1'],
        prefetch: 500,
      },
      async (m) => {
        const at = process.hrtime.bigint();
        const body = JSON.parse(m.body.toString('utf8')) as { data?: { serviceId?: string } };
        const seen = m.routingKey.startsWith('billing.') ? requestedAt : provisionedAt;
        if (body.data?.serviceId && !seen.has(body.data.serviceId)) seen.set(body.data.serviceId, at);
        return 'ack';
      },
    );

    const call = async (method: string, path: string, token?: string, body?: unknown, key?: string) => {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(key ? { 'idempotency-key': key } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    };
    const login = async (email: string, password: string) => {
      const r = await call('POST', '/v1/auth/login', undefined, { email, password, tenantSlug: 'acme' });
      if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.accessToken as string;
    };
    const client = await login('client@acme.localhost', DEMO_PASSWORDS.resellerClient);
    const reseller = await login('reseller@acme.localhost', DEMO_PASSWORDS.reseller);
    // Acme resells the platform's Starter under its own id (white-label): the id its clients order by.
    const offerings = await call('GET', '/v1/offerings', reseller);
    const platformStarter = platform.demo.catalog.platform.starter;
    const starter = (offerings.body.items as { product: { id: string }; storefrontId: string | null }[]).find(
      (o) => o.product.id === platformStarter,
    )?.storefrontId;
    if (!starter) throw new Error(`Acme does not resell Starter: ${JSON.stringify(offerings.body)}`);

    const results: CaseResult[] = [];
    for (const [k, c] of cases.entries()) {
      platform.whm.state.createDelayMs = c.createDelayMs;
      const paidAt = new Map<string, bigint>();
      const paidWall = new Map<string, number>();
      const activeWall = new Map<string, number>();
      wallOf.active = activeWall;
      const checkout: number[] = [];
      const errors: string[] = [];
      const tag = `${c.name.replace(/\W+/g, '')}${Date.now().toString(36)}`;
      const order = async (i: number) => {
        const t0 = process.hrtime.bigint();
        const placed = await call(
          'POST',
          '/v1/orders',
          client,
          // The panel user name comes from the domain's first 8 letters and digits: unique per order here
          // (one shared prefix would leave the collision strategy a hundred names).
          {
            items: [
              {
                productId: starter,
                cycle: 'monthly',
                domain: `c${k}n${String(i).padStart(4, '0')}-${tag}.example.com`,
              },
            ],
          },
          `${tag}-order-${i}`,
        );
        if (placed.status !== 201) throw new Error(`order ${i}: ${placed.status} ${placed.body.code}`);
        const { invoiceId, total, serviceIds } = placed.body as {
          invoiceId: string;
          total: number;
          serviceIds: string[];
        };
        const paid = await call(
          'POST',
          `/v1/invoices/${invoiceId}/payments`,
          reseller,
          { amount: total },
          `${tag}-pay-${i}`,
        );
        const at = process.hrtime.bigint();
        if (paid.status !== 201) throw new Error(`payment ${i}: ${paid.status} ${paid.body.code}`);
        paidAt.set(serviceIds[0]!, at);
        paidWall.set(serviceIds[0]!, performance.timeOrigin + performance.now());
        checkout.push(ms(t0, at));
      };

      const commitsBefore = await commits();
      const cpuBefore = await cpuSnapshot();
      const cpu = process.cpuUsage();
      const childCpu = childrenCpuMs();
      const elu = performance.eventLoopUtilization();
      const begin = process.hrtime.bigint();
      const beginWall = new Date();
      const sent: Promise<void>[] = [];
      for (let i = 0; i < c.orders; i++) {
        const due = begin + BigInt(Math.round((i * 1e9) / c.perSecond));
        const wait = ms(process.hrtime.bigint(), due);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sent.push(order(i).catch((err: unknown) => void errors.push(String(err))));
      }
      await Promise.all(sent);
      if (process.env.BENCH_NODE_FLAGS)
        // CLOCK_MONOTONIC µs, the clock of --cpu-prof's sample timestamps: to cut the profiles to the case.
        console.log(`case ${c.name}: monotonic µs ${begin / 1000n} … ${process.hrtime.bigint() / 1000n}`);
      if (process.env.BENCH_PG_LOG === '1')
        console.log(
          `case ${c.name}: first sent ${beginWall.toISOString()}, last paid ${new Date().toISOString()}`,
        );
      const settleBy = Date.now() + 60_000 + (c.orders * c.createDelayMs) / options.panelConcurrency;
      const settled = () => [...paidAt.keys()].every((id) => activeAt.has(id) && provisionedAt.has(id));
      while (!settled() && Date.now() < settleBy) await new Promise((r) => setTimeout(r, 50));

      await new Promise((r) => setTimeout(r, 1500)); // PostgreSQL flushes its counters within a second
      const commitsAfter = await commits();
      const cpuAfter = await cpuSnapshot();
      const used = process.cpuUsage(cpu);
      const loop = performance.eventLoopUtilization(elu);
      const paidTimes = [...paidAt.values()].sort((a, b) => (a < b ? -1 : 1));
      const first = paidTimes[0] ?? begin;
      const lastPaid = paidTimes.at(-1) ?? begin;
      const actives = [...paidAt.keys()].map((id) => activeAt.get(id)).filter((t) => t !== undefined);
      const lastActive = actives.reduce((a, b) => (a > b ? a : b), first);
      const lat = (m: Map<string, bigint>) =>
        [...paidAt.entries()].flatMap(([id, at]) => (m.has(id) ? [ms(at, m.get(id)!)] : []));
      const missing = c.orders - errors.length - actives.length;
      if (missing > 0) errors.push(`${missing} paid services never became active`);
      if (c.warmUp) continue;
      const paidCount = Math.max(1, paidAt.size);
      results.push({
        name: c.name,
        orders: c.orders,
        createDelayMs: c.createDelayMs,
        paidPerSecond: paidTimes.length > 1 ? (paidTimes.length - 1) / (ms(first, lastPaid) / 1000) : 0,
        requested: lat(requestedAt),
        provisioned: lat(provisionedAt),
        active: lat(activeAt),
        perMinute: actives.length / (ms(first, lastActive) / 60_000),
        checkout,
        errors,
        // Per order paid: an order that failed at checkout did part of the work only.
        cpuMsPerOrder: ((used.user + used.system) / 1000 + childrenCpuMs() - childCpu) / paidCount,
        cpuByProcess: cpuDelta(cpuBefore, cpuAfter, paidCount),
        eventLoopUtilization: loop.utilization,
        stages: await stagesOf(paidWall, activeWall),
        commitsPerOrder: Object.fromEntries(
          Object.entries(commitsAfter).map(([service, n]) => [
            service,
            (n - (commitsBefore[service] ?? 0)) / paidCount,
          ]),
        ),
      });
    }
    platform.whm.state.createDelayMs = 0;
    return { results, startSeconds, createacct: platform.whm.calls.createacct ?? 0 };
  } finally {
    await listener.client?.end().catch(() => undefined);
    await listener.provisioning?.end().catch(() => undefined);
    for (const child of children) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await platform?.close();
    await bus.close();
    for (const db of pools) await db.close();
    for (const t of Object.values(testDbs)) await t.drop();
    await vhost.drop();
    rmSync(mailDir, { recursive: true, force: true });
  }
}

export const percentile = (values: number[], p: number): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

export const machine = () =>
  `cores: ${availableParallelism()}  load average (1/5/15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}  — a shared, loaded machine: other work ran beside this bench`;
