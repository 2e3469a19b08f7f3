/**
 * bench/memory: resident memory of the embedded platform (`npm start`: every service, the gateway, one
 * PGlite engine, the in-process bus) — idle after a first start on a new data directory, idle after a warm
 * start, and after 1,000 mixed requests through the gateway — beside the floor measured in the same run:
 * a bare Node process holding the same embedded engine with the same tuning and nothing else. The goal
 * (issue 13) is ≤ 400 MB idle in total and a warm start in ≤ 10 s; the ratio printed last is
 * goal ÷ measured (≥ 1.0 is met). The services share one process, so per-service figures are not
 * separable; the floor shows what the engine alone costs.
 *
 *   npm run bench -- memory      (BENCH_REQUESTS=1000 by default)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_PASSWORDS } from '../../services/identity/src/service';

const ROOT = resolve(__dirname, '../..');
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 1000);
const GOAL_MB = 400;
const GOAL_WARM_START_S = 10;
// The same V8 settings `npm start` uses (package.json); BENCH_NODE_FLAGS tries others.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=2 --optimize-for-size')
  .split(/\s+/)
  .filter(Boolean);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
};
/** Idle RSS: the highest of a few samples a second apart, once the start's garbage has settled. */
async function idleRss(pid: number): Promise<number> {
  await sleep(3000);
  let high = 0;
  for (let i = 0; i < 3; i++) {
    high = Math.max(high, rssMb(pid));
    await sleep(1000);
  }
  return high;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
    srv.on('error', rej);
  });
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => {
    let seen = '';
    const timer = setTimeout(
      () => rej(new Error(`no ${pattern} within ${timeoutMs} ms:\n${seen}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`exited with ${code} before ${pattern}:\n${seen}`));
    });
  });
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

async function startPlatform(dataDir: string, port: number) {
  const started = Date.now();
  // Embedded mode whatever the caller's environment says (bench.sh exports the test servers' URLs).
  const { DATABASE_URL: _db, AMQP_URL: _amqp, ...inherited } = process.env;
  const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', 'scripts/start.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
      GEMINIS_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      API_RATE_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await waitForLine(child, /Geminis is running/, 180_000);
  return { child, seconds: (Date.now() - started) / 1000 };
}

/** The engine alone, tuned as the kit tunes it: the floor under any embedded platform. */
async function floor(dataDir: string): Promise<number> {
  const script = `
    const { openEmbeddedPostgres } = require('./packages/service-kit/src/db/pglite');
    openEmbeddedPostgres({ dataDir: ${JSON.stringify(dataDir)} }).then(async (e) => {
      const db = await e.database('floor');
      await db.check();
      console.log('ready');
      setInterval(() => {}, 1000);
    });`;
  const child = spawn(process.execPath, [...NODE_FLAGS, '--import', 'tsx', '-e', script], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    await waitForLine(child, /ready/, 120_000);
    return await idleRss(child.pid!);
  } finally {
    await stop(child);
  }
}

async function traffic(base: string, count: number) {
  const login = async (email: string, password: string, tenantSlug?: string) => {
    const res = await fetch(`${base}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, ...(tenantSlug ? { tenantSlug } : {}) }),
    });
    if (!res.ok) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { accessToken: string }).accessToken;
  };
  const admin = await login('admin@geminis.local', DEMO_PASSWORDS.admin);
  const client = await login('client@acme.localhost', DEMO_PASSWORDS.resellerClient, 'acme');
  const mix: Array<[string, string | null]> = [
    ['/v1/storefront/products', null],
    ['/v1/me', client],
    ['/v1/products', admin],
    ['/v1/invoices', client],
    ['/v1/client-services', client],
    ['/v1/clients', admin],
    ['/v1/support/tickets', client],
    ['/v1/servers', admin],
    ['/healthz', null],
    ['/v1/orders', client],
  ];
  let failed = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const [path, token] = mix[next++ % mix.length]!;
        const res = await fetch(base + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
        await res.arrayBuffer();
        if (res.status >= 500) failed++;
      }
    }),
  );
  return failed;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'geminis-bench-memory-'));
  const floorDir = mkdtempSync(join(tmpdir(), 'geminis-bench-floor-'));
  try {
    const floorMb = await floor(floorDir);
    const port = await freePort();
    const first = await startPlatform(dataDir, port);
    const firstIdle = await idleRss(first.child.pid!);
    await stop(first.child);

    const warm = await startPlatform(dataDir, port);
    try {
      const warmIdle = await idleRss(warm.child.pid!);
      const failed = await traffic(`http://127.0.0.1:${port}`, REQUESTS);
      const afterTraffic = await idleRss(warm.child.pid!);
      const worst = Math.max(firstIdle, warmIdle);
      console.log(`floor (node + the embedded engine alone, idle): ${floorMb} MB`);
      console.log(`first start (new data directory): ${first.seconds.toFixed(1)} s, idle ${firstIdle} MB`);
      console.log(
        `warm start: ${warm.seconds.toFixed(1)} s (goal ≤ ${GOAL_WARM_START_S} s), idle ${warmIdle} MB`,
      );
      console.log(`after ${REQUESTS} mixed requests (${failed} answered 5xx): ${afterTraffic} MB`);
      console.log(`platform above the floor: ${warmIdle - floorMb} MB for six services and the gateway`);
      console.log(
        `ratio goal ÷ idle RSS: ${(GOAL_MB / worst).toFixed(2)} (≥ 1.00 meets ≤ ${GOAL_MB} MB); ` +
          `warm start ${(GOAL_WARM_START_S / warm.seconds).toFixed(2)} (≥ 1.00 meets ≤ ${GOAL_WARM_START_S} s)`,
      );
      if (failed > 0) process.exitCode = 1;
    } finally {
      await stop(warm.child);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(floorDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
