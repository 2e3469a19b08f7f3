import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { createInMemoryBus, createLogger, openPostgres, runService } from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { DEMO_PASSWORDS, identityService, seedIdentityDemo } from '../../identity/src/service';

jest.setTimeout(120_000);

const ROOT = join(__dirname, '..', '..', '..');
const ENCRYPTION_KEY = 'trace-test-encryption-key-0123456789abcdef';
const SERVICE_KEY = 'trace-test-service-key-0123456789abcdef01';

interface CollectedSpan {
  service: string;
  traceId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** A stand-in OpenTelemetry collector: OTLP/HTTP JSON in, spans kept in memory. */
function startCollector(): Promise<{ server: Server; url: string; spans: CollectedSpan[] }> {
  const spans: CollectedSpan[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Only traces are asserted on (the SDK may send metrics to the same collector).
      if (req.url !== '/v1/traces') return void res.writeHead(200).end('{}');
      type Attr = { key: string; value: Record<string, unknown> };
      const raw = Buffer.concat(chunks);
      const text = (req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8');
      const body = JSON.parse(text) as {
        resourceSpans: {
          resource: { attributes: Attr[] };
          scopeSpans: {
            spans: { traceId: string; name: string; kind: number; attributes?: Attr[] }[];
          }[];
        }[];
      };
      const value = (a: Attr) => Object.values(a.value)[0];
      for (const rs of body.resourceSpans) {
        const service = String(value(rs.resource.attributes.find((a) => a.key === 'service.name')!));
        for (const ss of rs.scopeSpans) {
          for (const s of ss.spans) {
            spans.push({
              service,
              traceId: s.traceId,
              name: s.name,
              kind: s.kind,
              attributes: Object.fromEntries((s.attributes ?? []).map((a) => [a.key, value(a)])),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans }),
    ),
  );
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Runs a service's real main.ts as its own process, as compose and Kubernetes do. */
function startProcess(main: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', main], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', OTEL_BSP_SCHEDULE_DELAY: '100', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`[${main}] ${d.toString('utf8')}`));
  return child;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const ready = (url: string) => () =>
  fetch(`${url}/readyz`).then((r) => (r.status === 200 ? true : undefined));

describe('one request through the gateway, traced across processes and RabbitMQ', () => {
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let identityDb: TestDatabase;
  let catalogDb: TestDatabase;
  let vhost: TestVhost;
  const children: ChildProcess[] = [];
  let gatewayUrl: string;

  beforeAll(async () => {
    collector = await startCollector();
    [identityDb, catalogDb, vhost] = await Promise.all([
      createTestDatabase('gm_trace_identity'),
      createTestDatabase('gm_trace_catalog'),
      createTestVhost(),
    ]);
    // The platform admin, through identity's own use cases (then the real process takes over the database).
    const seedDb = openPostgres({ url: identityDb.url });
    const seeding = await runService(
      identityService({
        issuer: 'https://identity.geminis.local',
        audience: 'geminis',
        encryptionKey: ENCRYPTION_KEY,
      }),
      {
        db: seedDb,
        bus: createInMemoryBus(),
        logger: createLogger({ service: 'seed', level: 'silent' }),
        serviceKey: SERVICE_KEY,
        port: 0,
        keepPublishedEvents: true,
      },
    );
    await seedIdentityDemo(seedDb, seeding.built.services);
    await seeding.stop();
    await seedDb.close();

    const [identityPort, catalogPort, gatewayPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const common = {
      GEMINIS_MODE: 'production',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      AMQP_URL: vhost.url,
      INTERNAL_SERVICE_KEY: SERVICE_KEY,
      JWKS_URL: `http://127.0.0.1:${identityPort}/.well-known/jwks.json`,
    };
    children.push(
      startProcess('services/identity/src/main.ts', {
        ...common,
        PORT: String(identityPort),
        DATABASE_URL: identityDb.url,
        IDENTITY_ENCRYPTION_KEY: ENCRYPTION_KEY,
      }),
      startProcess('services/catalog/src/main.ts', {
        ...common,
        PORT: String(catalogPort),
        DATABASE_URL: catalogDb.url,
      }),
    );
    await until(ready(`http://127.0.0.1:${identityPort}`));
    await until(ready(`http://127.0.0.1:${catalogPort}`));
    children.push(
      startProcess('services/gateway/src/main.ts', {
        ...common,
        PORT: String(gatewayPort),
        IDENTITY_URL: `http://127.0.0.1:${identityPort}`,
        CATALOG_URL: `http://127.0.0.1:${catalogPort}`,
      }),
    );
    gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    await until(ready(gatewayUrl));
  });

  afterAll(async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    await new Promise((r) => collector.server.close(r));
    await Promise.all([identityDb.drop(), catalogDb.drop(), vhost.drop()]);
  });

  it('yields spans of the gateway, identity, its outbox relay and catalog’s consumer under one trace id', async () => {
    const login = (await (
      await fetch(`${gatewayUrl}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'admin@geminis.local', password: DEMO_PASSWORDS.admin }),
      })
    ).json()) as { accessToken: string };
    const created = await fetch(`${gatewayUrl}/v1/resellers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${login.accessToken}` },
      body: JSON.stringify({
        slug: 'traced',
        brandName: 'Traced Hosting',
        owner: { email: 'owner@traced.example', name: 'Owner', password: 'a-long-enough-passphrase-1' },
      }),
    });
    expect(created.status).toBe(201);

    const consumed = await until(async () =>
      collector.spans.find(
        (s) => s.service === 'catalog' && s.name === 'catalog process identity.reseller.created.v1',
      ),
    );
    const trace = collector.spans.filter((s) => s.traceId === consumed.traceId);
    const services = (name: string) => trace.filter((s) => s.service === name);
    // The gateway's server span of this request (SpanKind.SERVER = 2) and its call to identity (CLIENT = 3).
    expect(services('gateway').some((s) => s.kind === 2)).toBe(true);
    expect(services('gateway').some((s) => s.kind === 3)).toBe(true);
    // Identity served it (express and pg instrumented: telemetry started before they were loaded)…
    expect(services('identity').some((s) => s.kind === 2)).toBe(true);
    expect(services('identity').some((s) => s.attributes['db.system.name'] === 'postgresql')).toBe(true);
    // …its relay published the event in that trace, and catalog applied it in that trace.
    expect(services('identity').map((s) => s.name)).toContain('outbox publish identity.reseller.created.v1');
    expect(services('catalog').map((s) => s.name)).toContain('catalog process identity.reseller.created.v1');
  });
});
