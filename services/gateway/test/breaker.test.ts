import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createLogger, createTokenVerifier, listen, type ListeningServer } from '@geminis/service-kit';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { createGatewayApp } from '../src/app';
import { createUpstream } from '../src/proxy';
import { createRateLimits } from '../src/rate-limit';
import { createTenantResolver } from '../src/tenant-resolver';
import { startEchoUpstream } from './support';

describe('gateway circuit breaker', () => {
  const issuer = createTestIssuer('geminis-identity', 'geminis');
  let gateway: ListeningServer;
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let port: number;

  const build = async (baseUrl: string) => {
    const catalog = createUpstream({
      name: 'catalog',
      baseUrl,
      timeoutMs: 1_000,
      bodyLimitBytes: 1024,
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 300 },
    });
    const app = createGatewayApp({
      logger: createLogger({ service: 'gateway', level: 'silent' }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      upstreams: { catalog },
      resolver: createTenantResolver({
        identityUrl: 'http://127.0.0.1:1',
        platformHosts: ['localhost'],
        ttlMs: 1000,
      }),
      limits: createRateLimits({ authPerMinute: 100, apiPerMinute: 10_000 }),
      corsOrigins: [],
    });
    return { gw: await listen(app, 0), catalog };
  };

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    port = upstream.port;
  });
  afterAll(async () => {
    await gateway?.close();
    await upstream.close();
  });

  const get = (path: string) =>
    fetch(gateway.url + path, {
      headers: { authorization: `Bearer ${issuer.tokenFor('admin', PLATFORM_TENANT_ID)}` },
    });

  it('does not open on upstream 4xx answers', async () => {
    const { gw, catalog } = await build(upstream.url);
    gateway = gw;
    for (let i = 0; i < 8; i++) expect((await get('/v1/products/status/404')).status).toBe(404);
    expect(catalog.breaker.opened).toBe(false);
    await gw.close();
    catalog.close();
  });

  it('does not open on 500s one caller provokes: other callers stay served', async () => {
    const { gw, catalog } = await build(upstream.url);
    gateway = gw;
    // One caller sends requests its upstream answers 500 to (a NUL byte in a name, say), many times.
    for (let i = 0; i < 12; i++) expect((await get('/v1/products/status/500')).status).toBe(500);
    expect(catalog.breaker.opened).toBe(false);
    // Everyone else is still served.
    expect((await get('/v1/products')).status).toBe(200);
    await gw.close();
    catalog.close();
  });

  it('opens when the service answers 503 (its database is down), and fails fast', async () => {
    const { gw, catalog } = await build(upstream.url);
    gateway = gw;
    for (let i = 0; i < 4; i++) expect((await get('/v1/products/status/503')).status).toBe(503);
    expect(catalog.breaker.opened).toBe(true);
    const fast = await get('/v1/products');
    expect(fast.status).toBe(503);
    expect(((await fast.json()) as { code: string }).code).toBe('upstream.unavailable');
    await gw.close();
    catalog.close();
  });

  it('fails fast with 503 and Retry-After while the upstream is down, and recovers when it returns', async () => {
    const { gw, catalog } = await build(upstream.url);
    gateway = gw;
    await upstream.close(); // the service goes down
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('/v1/products')).status);
    expect(statuses.slice(0, 4).every((s) => s === 502)).toBe(true);
    expect(catalog.breaker.opened).toBe(true);
    const fast = await get('/v1/products');
    expect(fast.status).toBe(503);
    expect(fast.headers.get('retry-after')).toBe('1');
    expect(((await fast.json()) as { code: string }).code).toBe('upstream.unavailable');

    upstream = await startEchoUpstream(port); // it comes back
    await new Promise((r) => setTimeout(r, 350)); // past resetTimeout: half-open
    expect((await get('/v1/products')).status).toBe(200);
    expect(catalog.breaker.closed).toBe(true);
    catalog.close();
  });
});
