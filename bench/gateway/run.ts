/**
 * bench/gateway: an authenticated GET through the gateway against the same upstream called directly, in
 * one run. Every party is its own process, as deployed: the catalog service on a real PostgreSQL, the
 * gateway (`services/gateway/src/main.ts`, production wiring, access log on), and autocannon here.
 *
 * Two upstreams, each measured direct and through the gateway:
 *  - catalog `GET /v1/products` with a reseller's token (token check, tenant-scoped PostgreSQL read): the
 *    real service the gateway fronts — the headline numbers and the ratio printed last — beside the bare
 *    undici proxy in front of it (what any hop costs this ratio on this machine);
 *  - a bare node:http server that does no work: the proxy's floor (gateway CPU per request from /proc),
 *    beside a bare proxy (bench/gateway/raw-proxy.ts, node:http's client and undici's, the better shown).
 * And catalog's own floor: bench/gateway/bare-sql.ts runs the same SQL in the same transaction shape with
 * node:http + pg and nothing else, its transaction shapes and pool sizes swept, the best taken.
 *
 * Throughput is autocannon at saturation, the two sides of each ratio in alternating rounds (BENCH_ROUNDS),
 * so both see the same moments of the machine. "Added latency" is measured unloaded — one keep-alive
 * connection, requests one after another, timed with hrtime — because at saturation p50 is queueing
 * (connections ÷ throughput), not the hop. Goals (issue 13): catalog ≥ 0.5× its bare SQL floor; proxy
 * floor ≥ 0.3× at ≤ 120 µs of gateway CPU per request; catalog through the gateway ≥ 0.8× direct with
 * ≤ 0.5 ms added at p50.
 *
 *   npm run bench -- gateway   (BENCH_SECONDS=8, BENCH_CONNECTIONS=32, BENCH_PROBES=2000,
 *                               BENCH_SWEEP_SECONDS=3, BENCH_ROUNDS=4; BENCH_PARTS=proxy,catalog to run one part)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { newId } from '@geminis/service-kit';
import { openPostgres } from '../../packages/service-kit/src/db';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import { createTestVhost } from '../../packages/service-kit/src/testing/rabbit';
import { createTestIssuer } from '../../packages/service-kit/src/testing/tokens';
import { seedCatalogDemo } from '../../services/catalog/src/seed';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PROBES = Number(process.env.BENCH_PROBES ?? 2000);
const SWEEP_SECONDS = Number(process.env.BENCH_SWEEP_SECONDS ?? 3);
/** Rounds each side of a ratio is measured in, in turn (see saturateInTurn). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
/** Extra node flags for the gateway processes, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
const GATEWAY_NODE_ARGS = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** The same for the catalog process. */
const CATALOG_NODE_ARGS = (process.env.BENCH_CATALOG_NODE_ARGS ?? '').split(' ').filter(Boolean);
const PARTS = (process.env.BENCH_PARTS ?? 'proxy,catalog').split(',');
const ISSUER = 'https://identity.geminis.local';
const AUDIENCE = 'geminis';

const children: ChildProcess[] = [];

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function spawnTs(
  file: string,
  args: string[],
  env: Record<string, string>,
  nodeArgs: string[] = [],
): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', file, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'], // access logs go nowhere; errors show
  });
  child.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`${file} exited (${code ?? signal})`);
  });
  children.push(child);
  return child;
}

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc (Linux). */
function cpuMs(child: ChildProcess): number {
  try {
    const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, at USER_HZ = 100
  } catch {
    return NaN;
  }
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function saturate(url: string, token: string, duration = DURATION) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  return {
    rps: result.requests.average,
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
  };
}

/**
 * Each target saturated ROUNDS times for DURATION / ROUNDS seconds, in turn, so every side of a ratio sees
 * the same moments of a machine whose load drifts (other processes share its two cores): one long run
 * each, one after the other, put a quiet minute on one side and a busy one on the other. Requests per
 * second from the totals; CPU per request of the target's own process when it has one; p50 the median of
 * the rounds', p99 the worst.
 */
async function saturateInTurn(targets: { url: string; process?: ChildProcess }[], token: string) {
  const sums = targets.map(() => ({ total: 0, seconds: 0, cpuMs: 0, p50s: [] as number[], p99: 0 }));
  const seconds = DURATION / ROUNDS;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, target] of targets.entries()) {
      const sum = sums[i]!;
      const before = target.process ? cpuMs(target.process) : 0;
      const r = await saturate(target.url, token, seconds);
      if (target.process) sum.cpuMs += cpuMs(target.process) - before;
      sum.total += r.total;
      sum.seconds += seconds;
      sum.p50s.push(r.p50);
      sum.p99 = Math.max(sum.p99, r.p99);
    }
  }
  return sums.map((sum) => ({
    rps: sum.total / sum.seconds,
    total: sum.total,
    cpuUs: (sum.cpuMs * 1000) / sum.total,
    p50: sum.p50s.sort((a, b) => a - b)[Math.floor(sum.p50s.length / 2)]!,
    p99: sum.p99,
  }));
}

/**
 * Unloaded latency: PROBES requests one after another on one keep-alive connection per target, direct
 * and through the gateway alternately, so both see the same machine at the same moments (drift in CPU
 * frequency or in the neighbours' load would otherwise land on one side only). In milliseconds.
 */
async function probe(direct: string, viaGateway: string, token: string) {
  const timer = (url: string) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const once = () =>
      new Promise<number>((resolve, reject) => {
        const started = process.hrtime.bigint();
        const req = request(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== 200) reject(new Error(`${url} answered ${res.statusCode}`));
            else resolve(Number(process.hrtime.bigint() - started) / 1e6);
          });
        });
        req.on('error', reject);
        req.end();
      });
    return { once, close: () => agent.destroy() };
  };
  const d = timer(direct);
  const g = timer(viaGateway);
  for (let i = 0; i < 200; i++) {
    await d.once(); // warm-up
    await g.once();
  }
  const ds: number[] = [];
  const gs: number[] = [];
  for (let i = 0; i < PROBES; i++) {
    ds.push(await d.once());
    gs.push(await g.once());
  }
  d.close();
  g.close();
  const summary = (samples: number[]) => {
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] ?? NaN;
    return { p50: at(0.5), p99: at(0.99) };
  };
  return { direct: summary(ds), gateway: summary(gs) };
}

async function compare(
  label: string,
  direct: string,
  viaGateway: string,
  token: string,
  gateway: ChildProcess,
  alongside: { url: string; process: ChildProcess }[] = [],
) {
  for (const url of [direct, viaGateway, ...alongside.map((a) => a.url)]) await saturate(url, token, 2); // warm-up (JIT, pools, caches), not reported
  const [d, g, ...others] = await saturateInTurn(
    [{ url: direct }, { url: viaGateway, process: gateway }, ...alongside],
    token,
  );
  const { direct: dp, gateway: gp } = await probe(direct, viaGateway, token);
  const f = (n: number) => n.toFixed(3);
  console.log(`${label}`);
  console.log(
    `  direct:  ${d!.rps.toFixed(0)} req/s (p50 ${d!.p50} ms, p99 ${d!.p99} ms at saturation); unloaded p50 ${f(dp.p50)} ms, p99 ${f(dp.p99)} ms`,
  );
  console.log(
    `  gateway: ${g!.rps.toFixed(0)} req/s (p50 ${g!.p50} ms, p99 ${g!.p99} ms at saturation); unloaded p50 ${f(gp.p50)} ms, p99 ${f(gp.p99)} ms; gateway CPU ${g!.cpuUs.toFixed(0)} µs/request`,
  );
  return {
    ratio: g!.rps / d!.rps,
    directRps: d!.rps,
    addedP50: gp.p50 - dp.p50,
    gatewayCpuUs: g!.cpuUs,
    others,
  };
}

/**
 * The floor of catalog's list (bench/gateway/bare-sql.ts): every transaction shape × pool size for
 * SWEEP_SECONDS each, then the best again for the full duration, right before catalog is measured.
 */
async function sqlFloor(bareSqlUrl: string, token: string) {
  const shapes = ['4rt', '3rt', '2rt', '1rt'];
  const sizes = [2, 4, 8, 16];
  const swept: { path: string; rps: number }[] = [];
  for (const shape of shapes) {
    for (const size of sizes) {
      const path = `/${shape}/${size}`;
      await saturate(`${bareSqlUrl}${path}`, token, 1); // opens the pool
      swept.push({ path, rps: (await saturate(`${bareSqlUrl}${path}`, token, SWEEP_SECONDS)).rps });
    }
  }
  swept.sort((a, b) => b.rps - a.rps);
  console.log(
    `bare SQL handler sweep (${SWEEP_SECONDS}s each, req/s): ` +
      swept.map((s) => `${s.path} ${s.rps.toFixed(0)}`).join(', '),
  );
  return swept[0]!.path;
}

async function main() {
  const db = await createTestDatabase('gm_bench');
  const vhost = await createTestVhost('gm_bench');
  const issuer = createTestIssuer(ISSUER, AUDIENCE);
  // Identity's stand-in: its keys, and an empty revocation feed (catalog, with the service key it is given
  // in embedded mode, is not ready until it loaded the feed from the JWKS origin; it then checks every token
  // against it, as deployed).
  const jwks: Server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url?.startsWith('/internal/') ? { items: [] } : issuer.jwks));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  const [
    catalogPort,
    barePort,
    gwCatalogPort,
    gwBarePort,
    bareSqlPort,
    rawProxyPort,
    rawUndiciPort,
    rawCatalogPort,
  ] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const tokenEnv = { JWKS_URL: jwksUrl, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, LOG_LEVEL: 'info' };
  try {
    spawnTs(
      'services/catalog/src/main.ts',
      [],
      {
        ...tokenEnv,
        DATABASE_URL: db.url,
        AMQP_URL: vhost.url,
        PORT: String(catalogPort),
        HOST: '127.0.0.1',
      },
      CATALOG_NODE_ARGS,
    );
    spawnTs('bench/gateway/upstream.ts', [String(barePort)], {});
    spawnTs('bench/gateway/bare-sql.ts', [String(bareSqlPort), db.url], {});
    const rawProxies = [
      { client: 'node:http', port: rawProxyPort, arg: 'node' },
      { client: 'undici', port: rawUndiciPort, arg: 'undici' },
    ].map(({ client, port, arg }) => ({
      client,
      url: `http://127.0.0.1:${port}`,
      child: spawnTs('bench/gateway/raw-proxy.ts', [String(port), String(barePort), arg], {}),
    }));
    // The same bare undici proxy in front of catalog: what any proxy hop costs the catalog ratio here.
    const rawCatalog = spawnTs(
      'bench/gateway/raw-proxy.ts',
      [String(rawCatalogPort), String(catalogPort), 'undici'],
      {},
    );
    const bareSqlUrl = `http://127.0.0.1:${bareSqlPort}`;
    const catalogUrl = `http://127.0.0.1:${catalogPort}`;
    const bareUrl = `http://127.0.0.1:${barePort}`;
    const gatewayTo = (port: number, upstream: string) =>
      spawnTs(
        'services/gateway/src/main.ts',
        [],
        {
          ...tokenEnv,
          CATALOG_URL: upstream,
          PORT: String(port),
          HOST: '127.0.0.1',
          API_RATE_PER_MINUTE: '1000000000', // measure the limiter's cost, never its refusals
          LOG_LEVEL: process.env.BENCH_GATEWAY_LOG_LEVEL ?? 'info', // 'warn': without the access log
        },
        GATEWAY_NODE_ARGS,
      );
    const gwCatalog = gatewayTo(gwCatalogPort, catalogUrl);
    const gwBare = gatewayTo(gwBarePort, bareUrl);
    const gwCatalogUrl = `http://127.0.0.1:${gwCatalogPort}`;
    const gwBareUrl = `http://127.0.0.1:${gwBarePort}`;
    await Promise.all(
      [catalogUrl, bareUrl, gwCatalogUrl, gwBareUrl, bareSqlUrl, `http://127.0.0.1:${rawCatalogPort}`].map(
        waitReady,
      ),
    );

    // The demo catalog (platform plans, a reseller reselling two of them plus a custom product).
    const resellerTenantId = newId();
    const pg = openPostgres({ url: db.url, applicationName: 'bench-seed' });
    await seedCatalogDemo(pg, { resellerTenantId });
    await pg.close();
    const token = issuer.tokenFor('reseller', resellerTenantId);
    const listed = (await (
      await fetch(`${gwCatalogUrl}/v1/products`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { items?: unknown[] };
    if (!listed.items?.length) throw new Error('the seeded catalog lists no products for the reseller');

    console.log(
      `connections: ${CONNECTIONS}, ${DURATION}s per saturation run, ${PROBES} unloaded probes; each party its own process`,
    );
    const verdict = (met: boolean) => (met ? 'met' : 'NOT met');
    if (PARTS.includes('proxy')) {
      const rawUrl = (raw: (typeof rawProxies)[number]) => `${raw.url}/v1/products`;
      const bare = await compare(
        'bare node:http upstream (the proxy floor: the upstream does no work)',
        `${bareUrl}/v1/products`,
        `${gwBareUrl}/v1/products`,
        token,
        gwBare,
        rawProxies.map((raw) => ({ url: rawUrl(raw), process: raw.child })),
      );
      // The baseline is the best a bare proxy does here: each client for the upstream hop, the better taken.
      const raws = rawProxies.map((raw, i) => ({ client: raw.client, ...bare.others[i]! }));
      const best = raws.reduce((a, b) => (b.cpuUs < a.cpuUs ? b : a));
      console.log(
        `  a bare proxy (bench/gateway/raw-proxy.ts: no checks, no headers of its own), same upstream, same rounds: ` +
          raws
            .map((r) => `${r.client} ${r.rps.toFixed(0)} req/s at ${r.cpuUs.toFixed(0)} µs CPU/request`)
            .join('; ') +
          `; best ${best.client}: gateway / bare proxy CPU ${(bare.gatewayCpuUs / best.cpuUs).toFixed(1)}×`,
      );
      console.log(
        `proxy floor (gateway / direct, bare upstream): ${bare.ratio.toFixed(2)} (goal ≥ 0.30: ${verdict(bare.ratio >= 0.3)}); ` +
          `gateway CPU ${bare.gatewayCpuUs.toFixed(0)} µs/request (goal ≤ 120: ${verdict(bare.gatewayCpuUs <= 120)}); ` +
          `added unloaded p50 ${bare.addedP50.toFixed(3)} ms`,
      );
    }
    if (PARTS.includes('catalog')) {
      const floorPath = await sqlFloor(bareSqlUrl, token);
      await saturate(`${catalogUrl}/v1/products`, token, 2); // warm-up
      const [floor, catalogDirect] = await saturateInTurn(
        [{ url: `${bareSqlUrl}${floorPath}` }, { url: `${catalogUrl}/v1/products` }],
        token,
      );
      const catalogFloor = catalogDirect!.rps / floor!.rps;
      console.log(
        `bare SQL handler ${floorPath} (node:http + pg, the same SQL and transaction shape, no framework): ` +
          `${floor!.rps.toFixed(0)} req/s (p50 ${floor!.p50} ms, p99 ${floor!.p99} ms); ` +
          `catalog direct in the same rounds: ${catalogDirect!.rps.toFixed(0)} req/s`,
      );
      console.log(
        `catalog list / bare SQL floor: ${catalogFloor.toFixed(2)} (goal ≥ 0.50: ${verdict(catalogFloor >= 0.5)})`,
      );
      const catalog = await compare(
        `catalog GET /v1/products, reseller token, ${listed.items.length} products from PostgreSQL`,
        `${catalogUrl}/v1/products`,
        `${gwCatalogUrl}/v1/products`,
        token,
        gwCatalog,
        [{ url: `http://127.0.0.1:${rawCatalogPort}/v1/products`, process: rawCatalog }],
      );
      const raw = catalog.others[0]!;
      console.log(
        `  a bare undici proxy in front of catalog, same rounds: ${raw.rps.toFixed(0)} req/s ` +
          `(${(raw.rps / catalog.directRps).toFixed(2)} of direct) at ${raw.cpuUs.toFixed(0)} µs CPU/request; ` +
          `gateway / bare proxy CPU ${(catalog.gatewayCpuUs / raw.cpuUs).toFixed(1)}×`,
      );
      console.log(
        `added latency at p50, catalog: ${catalog.addedP50.toFixed(3)} ms (goal ≤ 0.5 ms: ${verdict(catalog.addedP50 <= 0.5)})`,
      );
      console.log(
        `ratio (gateway / direct throughput, catalog): ${catalog.ratio.toFixed(2)} (goal ≥ 0.80: ${verdict(catalog.ratio >= 0.8)})`,
      );
    }
  } finally {
    for (const child of children) child.kill('SIGTERM');
    const exited = (c: ChildProcess) =>
      new Promise<void>((resolve) => {
        if (c.exitCode !== null || c.signalCode !== null) resolve();
        else c.once('exit', () => resolve());
      });
    await Promise.all(children.map(exited));
    jwks.close();
    await vhost.drop();
    await db.drop();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    for (const child of children) child.kill('SIGKILL');
    process.exit(1);
  },
);
