/**
 * `npm start` as a person or a supervisor runs it: it listens on loopback only (the demo prints its
 * passwords), and SIGTERM sent to the npm process — not to the whole group, as Ctrl-C does — stops the
 * platform: npm exits 0 and the port is free afterwards (nothing left running behind it).
 *
 * While it runs, the API document clients get from it (`/v1/openapi.json`, merged by the gateway from
 * every service's route declarations) is linted with the tools API consumers use: Spectral's OAS rules
 * plus the OWASP API Security ruleset (.spectral.yaml) and Redocly's recommended rules (redocly.yaml), at
 * zero errors. A service added later is held to the same gate from its first route.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../..');

/** The local addresses listening on a TCP port, from /proc (IPv4 and IPv6). */
function listeners(port: number): string[] {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (local && state === '0A' && local.endsWith(`:${hex}`)) out.push(local.split(':')[0]!);
    }
  }
  return out;
}

/** Runs a linter's CLI (from node_modules/.bin) with the pinned Node; its exit code and output. */
async function lint(bin: string, args: string[]) {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules', '.bin', bin), ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 },
    );
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

interface SpectralResult {
  code: string;
  severity: number;
  path: string[];
  message: string;
}

const refused = (port: number) =>
  new Promise<boolean>((res) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      res(false);
    });
    socket.once('error', () => res(true));
  });

describe('npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'geminis-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env, GEMINIS_DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
  delete env.HOST;
  const npm = spawn('npm', ['start'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  npm.stdout.on('data', (c: Buffer) => (output += c.toString()));
  npm.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((res) => npm.once('exit', (code) => res(code)));
  let port = 0;

  beforeAll(async () => {
    port = await Promise.race([
      new Promise<number>((res) => {
        const look = () => {
          const m = /Geminis is running: http:\/\/localhost:(\d+)/.exec(output);
          if (m) res(Number(m[1]));
          else setTimeout(look, 200);
        };
        look();
      }),
      exited.then((code) => {
        throw new Error(`npm start exited (${code}) before it was running:\n${output}`);
      }),
    ]);
  });
  afterAll(() => {
    if (npm.exitCode === null) npm.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes an API document that Spectral (OAS + OWASP) and Redocly pass without an error', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).length).toBeGreaterThan(100);
    // Under the repository: .spectral.yaml's per-path overrides are globs relative to it.
    const dir = join(ROOT, 'test', 'deploy', 'out');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc, null, 2));

    const spectral = await lint('spectral', ['lint', file, '-r', '.spectral.yaml', '-f', 'json', '-q']);
    const results = JSON.parse(spectral.output.slice(spectral.output.indexOf('['))) as SpectralResult[];
    const errors = results
      .filter((r) => r.severity === 0)
      .map((r) => `${r.code} at ${r.path.join('/')}: ${r.message}`);
    expect(errors).toEqual([]);
    expect(spectral.code).toBe(0);

    const redocly = await lint('redocly', ['lint', file, '--config', 'redocly.yaml', '--format', 'json']);
    const problems = (
      JSON.parse(redocly.output.slice(redocly.output.indexOf('{'))) as {
        problems: { ruleId: string; severity: string; message: string }[];
      }
    ).problems.filter((p) => p.severity === 'error');
    expect(problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(redocly.code).toBe(0);
  });

  it("completes a Plesk order offline: Acme's client orders Acme's Plesk product, Acme is paid, the webspace opens", async () => {
    const api = async (method: string, path: string, token?: string, body?: unknown) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(method === 'POST' ? { 'idempotency-key': `npm-start-${path}` } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.status, body: (await res.json()) as any };
    };
    const login = async (email: string, password: string, tenantSlug?: string) =>
      (await api('POST', '/v1/auth/login', undefined, { email, password, tenantSlug })).body
        .accessToken as string;
    const admin = await login('admin@geminis.local', 'demo-admin-pass-1');
    const acme = await login('reseller@acme.localhost', 'demo-reseller-pass-1', 'acme');
    const client = await login('client@acme.localhost', 'demo-client-pass-1', 'acme');
    const own = await api('GET', '/v1/products', acme);
    const product = (own.body.items as any[]).find((p) => p.name === 'Acme Plesk Hosting');
    expect(product).toBeDefined();

    const order = await api('POST', '/v1/orders', client, {
      items: [{ productId: product.id, cycle: 'monthly', domain: 'npm-start-plesk.example' }],
    });
    expect(order.status).toBe(201);
    const invoice = await api('GET', `/v1/invoices/${order.body.invoiceId}`, client);
    const paid = await api('POST', `/v1/invoices/${order.body.invoiceId}/payments`, acme, {
      amount: invoice.body.total,
    });
    expect(paid.status).toBeLessThan(300);

    let account: any;
    for (let i = 0; i < 150 && !account; i++) {
      const accounts = await api('GET', '/v1/provisioning/accounts', client);
      account = (accounts.body.items as any[]).find((a) => a.module === 'plesk' && a.status === 'active');
      if (!account) await new Promise((r) => setTimeout(r, 200));
    }
    expect(account).toMatchObject({ domain: 'npm-start-plesk.example', status: 'active' });
    const services = await api('GET', '/v1/client-services', client);
    expect((services.body.items as any[]).find((s) => s.productId === product.id)?.status).toBe('active');
    const sso = await api('POST', `/v1/provisioning/accounts/${account.id}/login-url`, client, {});
    expect(sso.status).toBe(200);
    expect((await fetch(sso.body.url as string)).status).toBe(200);

    // The seeded demo orders (paid ones: provisioned) settle too, and none of their jobs failed.
    let jobs: any[] = [];
    for (let i = 0; i < 150; i++) {
      jobs = (await api('GET', '/v1/provisioning/jobs', admin)).body.items as any[];
      if (jobs.every((j) => j.status === 'done' || j.status === 'failed')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(jobs.filter((j) => j.status !== 'done')).toEqual([]);
    expect(jobs.length).toBeGreaterThanOrEqual(3);
  });

  it('binds loopback by default and stops on SIGTERM sent to npm, freeing its port', async () => {
    expect(listeners(port)).toEqual(['0100007F']); // 127.0.0.1 only
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    npm.kill('SIGTERM');
    expect(await exited).toBe(0);
    // npm returns once the platform has exited, so the port is free now (a bounded wait for the kernel).
    let free = false;
    for (let i = 0; i < 50 && !(free = await refused(port)); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(free).toBe(true);
    expect(listeners(port)).toEqual([]);
  });
});
