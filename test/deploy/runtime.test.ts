/**
 * The production runtime as the image's runtime stage has it, without an image builder (none runs on
 * these machines): `npm run build`'s output in a clean folder outside the repository, with a node_modules
 * holding only the production dependencies of the lockfile (what `npm ci --omit=dev` installs — hard
 * links of the repository's copies, because a real install takes ~30 s here; nothing above the folder
 * has a node_modules, so a missing production dependency fails to load). Every service starts there
 * with plain `node` on compiled JavaScript against real PostgreSQL and RabbitMQ and becomes ready; the
 * compiled bootstrap creates the first admin; and SIGTERM arriving while a request is in flight lets that
 * request finish before the process exits 0.
 *
 * What it does not prove: the Dockerfile's own instructions (no builder here), the base image, or that
 * `npm ci --omit=dev` itself succeeds in the image (the lockfile is the same one).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { secretNames, sharedServiceConfig } from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { build } from '../../scripts/build';
import { SERVICE_ENTRIES } from '../../scripts/services';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../..');
const KIT_SERVICES = ['identity', 'catalog', 'billing', 'provisioning', 'support'] as const;

const TOP_LEVEL_PACKAGE = /^(?:(?:packages|services)\/[^/]+\/)?node_modules\/(?:@[^/]+\/)?[^/@][^/]*$/;

/** The compiled build plus the lockfile's production packages, and nothing of the repository's. */
async function productionFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'geminis-runtime-'));
  await build(dir);
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; link?: boolean; resolved?: string }>;
  };
  const copies = new Map<string, string[]>(); // target folder → package folders, one `cp` per folder
  for (const [path, meta] of Object.entries(lock.packages)) {
    // Top-level packages of the root and of each workspace (a workspace's own version of a package the
    // root holds in another version, e.g. the gateway's undici); nested ones come with their parent.
    if (!TOP_LEVEL_PACKAGE.test(path) || meta.dev) continue;
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (meta.link) symlinkSync(relative(dirname(target), join(dir, meta.resolved!)), target);
    else if (existsSync(join(ROOT, path)))
      copies.set(dirname(target), [...(copies.get(dirname(target)) ?? []), join(ROOT, path)]);
  }
  for (const [target, sources] of copies) {
    try {
      execFileSync('cp', ['-al', ...sources, target], { stdio: 'pipe' }); // hard links: same filesystem
    } catch {
      execFileSync('cp', ['-a', ...sources, target]); // another filesystem: a real copy
    }
  }
  return dir;
}

interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves with the first log line whose msg matches. */
  waitFor(msg: RegExp): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
}

function startNode(dir: string, script: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, [script], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const parsedLines: Array<Record<string, unknown>> = [];
  const waiters: Array<{ re: RegExp; resolve: (v: Record<string, unknown>) => void }> = [];
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      lines.push(line);
      let parsed: Record<string, unknown>;
      try {
        parsed = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      parsedLines.push(parsed);
      for (const w of [...waiters]) {
        if (typeof parsed.msg === 'string' && w.re.test(parsed.msg)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(parsed);
        }
      }
    });
  }
  return {
    child,
    lines,
    exited,
    waitFor: (re) =>
      Promise.race([
        new Promise<Record<string, unknown>>((res) => {
          // A line printed before the wait began counts too.
          const seen = parsedLines.find((l) => typeof l.msg === 'string' && re.test(l.msg));
          if (seen) res(seen);
          else waiters.push({ re, resolve: res });
        }),
        exited.then((code) => {
          throw new Error(`${script} exited (${code}) before "${re.source}":\n${lines.join('\n')}`);
        }),
      ]),
  };
}

let dir: string;
let vhost: TestVhost;
const databases: TestDatabase[] = [];
const procs: Proc[] = [];
const secrets: Record<string, string> = {};

/** A step that never ends fails with what every process printed, instead of a bare jest timeout. */
async function step<T>(label: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const logs = procs.map((p) => `--- ${p.child.spawnargs.join(' ')}\n${p.lines.slice(-15).join('\n')}`);
      reject(new Error(`stuck at: ${label}\n${logs.join('\n')}`));
    }, 120_000);
  });
  try {
    return await Promise.race([promise, stuck]);
  } finally {
    clearTimeout(timer);
  }
}

beforeAll(async () => {
  [dir, vhost] = await Promise.all([productionFolder(), createTestVhost('gm_runtime')]);
  // Every secret any service declares, so a service that gains one still starts here.
  for (const name of KIT_SERVICES) {
    const entry = await SERVICE_ENTRIES[name]!();
    for (const s of secretNames({ ...sharedServiceConfig, ...entry.config })) {
      secrets[s] ??= randomBytes(24).toString('base64url');
    }
  }
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all([...databases.map((d) => d.drop()), vhost?.drop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('holds only production dependencies: no TypeScript, tsx or jest, and no TypeScript sources', () => {
  for (const dev of ['typescript', 'tsx', 'jest', '@swc/core', 'node']) {
    expect(existsSync(join(dir, 'node_modules', dev))).toBe(false);
  }
  const sources = execFileSync('find', [dir, '-name', '*.ts', '-not', '-path', '*/node_modules/*'], {
    encoding: 'utf8',
  });
  expect(sources.trim()).toBe('');
});

it('starts every service with node on compiled code, bootstraps an admin, and drains on SIGTERM', async () => {
  const common = {
    GEMINIS_MODE: 'production',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    AMQP_URL: vhost.url,
    OTEL_TRACES_EXPORTER: 'none',
    SUPPORT_MAIL_DIR: join(dir, 'mail'),
    ...secrets,
  };
  const db = async () => {
    const d = await createTestDatabase('gm_runtime');
    databases.push(d);
    return d.url;
  };
  const listening = async (p: Proc) =>
    String((await step(`${p.child.spawnargs[1]} listening`, p.waitFor(/listening/))).url);
  const run = (service: string, env: Record<string, string>) => {
    const p = startNode(dir, `services/${service}/src/main.js`, { ...common, ...env });
    procs.push(p);
    return p;
  };

  // The compiled bootstrap, before identity ever ran (it applies the migrations): once, then a no-op.
  const identityDb = await db();
  const bootstrapEnv = {
    ...common,
    DATABASE_URL: identityDb,
    BOOTSTRAP_ADMIN_EMAIL: 'ops@example.com',
    BOOTSTRAP_ADMIN_PASSWORD: 'a long enough admin password',
  };
  const first = startNode(dir, 'services/identity/src/bootstrap-admin.js', bootstrapEnv);
  await first.waitFor(/first platform admin created/);
  expect(await first.exited).toBe(0);
  const again = startNode(dir, 'services/identity/src/bootstrap-admin.js', bootstrapEnv);
  await again.waitFor(/already has an admin/);
  expect(await again.exited).toBe(0);

  const identity = run('identity', { DATABASE_URL: identityDb });
  const identityUrl = await listening(identity);
  const jwks = { JWKS_URL: `${identityUrl}/.well-known/jwks.json` };
  const catalog = run('catalog', { DATABASE_URL: await db(), ...jwks });
  const catalogUrl = await listening(catalog);
  const others = {
    billing: run('billing', { DATABASE_URL: await db(), ...jwks, CATALOG_URL: catalogUrl }),
    provisioning: run('provisioning', { DATABASE_URL: await db(), ...jwks }),
    support: run('support', { DATABASE_URL: await db(), ...jwks, IDENTITY_URL: identityUrl }),
  };
  const urls: Record<string, string> = { identity: identityUrl, catalog: catalogUrl };
  for (const [name, p] of Object.entries(others)) urls[name] = await listening(p);
  const gateway = run('gateway', {
    ...Object.fromEntries(Object.entries(urls).map(([name, url]) => [`${name.toUpperCase()}_URL`, url])),
    ...jwks,
  });
  const gatewayUrl = await listening(gateway);

  for (const [name, url] of Object.entries({ ...urls, gateway: gatewayUrl })) {
    const res = await fetch(`${url}/readyz`);
    expect({ name, status: res.status }).toEqual({ name, status: 200 });
  }
  // Through the gateway, the bootstrapped admin logs in.
  const viaGateway = await fetch(`${gatewayUrl}/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ops@example.com', password: 'a long enough admin password' }),
  });
  expect(viaGateway.status).toBe(200);

  // A login in flight when SIGTERM arrives: its headers are in (identity answered 100 Continue), the
  // process has begun its shutdown, and only then is the body sent. It must still be answered in full.
  const { port } = new URL(identityUrl);
  const socket = connect(Number(port), '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  const ended = new Promise<void>((res) => socket.once('close', () => res()));
  const body = JSON.stringify({ email: 'ops@example.com', password: 'a long enough admin password' });
  socket.write(
    `POST /v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nExpect: 100-continue\r\n\r\n`,
  );
  for (let i = 0; i < 400 && !received.includes('100 Continue'); i++)
    await new Promise((r) => setTimeout(r, 25));
  expect(received).toContain('HTTP/1.1 100 Continue');
  const shuttingDown = identity.waitFor(/^shutting down$/);
  identity.child.kill('SIGTERM');
  await step('identity shutting down', shuttingDown);
  socket.write(body);
  await step('in-flight login answered', ended);
  const final = received.slice(received.indexOf('\r\n\r\n') + 4);
  expect(final).toMatch(/^HTTP\/1\.1 200 /);
  expect(final).toMatch(/connection: close/i);
  expect(final).toContain('"accessToken"');
  expect(await step('identity exit', identity.exited)).toBe(0);

  // Every other service drains and exits 0 too.
  for (const p of [gateway, ...Object.values(others), catalog]) {
    p.child.kill('SIGTERM');
    expect(await step(`${p.child.spawnargs[1]} exit`, p.exited)).toBe(0);
  }
});
