import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  createInMemoryBus,
  createLogger,
  createTokenVerifier,
  listen,
  type ListeningServer,
} from '@geminis/service-kit';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import express from 'express';
import { createGatewayApp } from '../src/app';
import { createUpstream } from '../src/proxy';
import { createRateLimits } from '../src/rate-limit';
import { matchRoute, ROUTES } from '../src/route-table';
import { createTenantResolver } from '../src/tenant-resolver';
import { getWithHost, startEchoUpstream } from './support';

const ACME = '0190aaaa-0000-7000-8000-00000000000a';
const json = async (res: Response): Promise<any> => res.json();

describe('gateway', () => {
  const issuer = createTestIssuer('geminis-identity', 'geminis');
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let identity: ListeningServer;
  let gateway: ListeningServer;
  const hosts = new Map<string, { tenantId: string; slug: string; brandName: string; status: string }>();
  const bus = createInMemoryBus();
  let resolver: ReturnType<typeof createTenantResolver>;
  let otherReplica: ReturnType<typeof createTenantResolver>; // a second gateway replica's resolver

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    // Identity's internal host lookup, as its contract (packages/contracts/src/http/identity.ts) defines it.
    const id = express();
    id.get('/internal/v1/tenants/by-host/:host', (req, res) => {
      const t = hosts.get(req.params.host);
      if (!t) return void res.status(404).json({ code: 'tenant.not_found' });
      res.json(t);
    });
    identity = await listen(id, 0);
    hosts.set('shop.acme.test', { tenantId: ACME, slug: 'acme', brandName: 'Acme', status: 'active' });
    resolver = createTenantResolver({
      identityUrl: identity.url,
      platformHosts: ['localhost'],
      ttlMs: 60_000,
    });
    await resolver.subscribe(bus, 'replica-1');
    otherReplica = createTenantResolver({
      identityUrl: identity.url,
      platformHosts: ['localhost'],
      ttlMs: 60_000,
    });
    await otherReplica.subscribe(bus, 'replica-2');
    const make = (name: string) =>
      createUpstream({
        name,
        baseUrl: upstream.url,
        timeoutMs: 2_000,
        bodyLimitBytes: 1024,
        breaker: { volumeThreshold: 3, resetTimeoutMs: 200 },
      });
    const app = createGatewayApp({
      logger: createLogger({ service: 'gateway', level: 'silent' }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      upstreams: { identity: make('identity'), catalog: make('catalog') },
      resolver,
      limits: createRateLimits({ authPerMinute: 5, apiPerMinute: 1000 }),
      corsOrigins: ['https://panel.geminis.test'],
    });
    gateway = await listen(app, 0);
  });
  afterAll(async () => {
    await gateway.close();
    await identity.close();
    await upstream.close();
    await bus.close();
    resolver.close();
    otherReplica.close();
  });

  const call = (path: string, init: RequestInit = {}) => fetch(gateway.url + path, init);
  const lastSeen = () => upstream.seen.at(-1)!;

  describe('route table', () => {
    it('declares every route either public or with the roles allowed', () => {
      for (const route of ROUTES) {
        const ok =
          route.access === 'public' || (Array.isArray(route.access.roles) && route.access.roles.length > 0);
        expect({ prefix: route.prefix, ok }).toEqual({ prefix: route.prefix, ok: true });
      }
    });

    it('matches whole path segments only', () => {
      expect(matchRoute('/v1/products/123')?.upstream).toBe('catalog');
      expect(matchRoute('/v1/productsX')).toBeUndefined();
      expect(matchRoute('/internal/v1/tenants/by-host/x')).toBeUndefined();
    });

    it('matches case-sensitively, as the services do: /V1/Users reaches no upstream', async () => {
      expect(matchRoute('/V1/users')).toBeUndefined();
      expect(matchRoute('/v1/Users')).toBeUndefined();
      // A differently spelt guarded path falls under the public /v1/auth prefix; identity (case-sensitive
      // like every kit service) answers it 404 rather than serving the guarded route without the gateway's check.
      expect(matchRoute('/v1/auth/PASSWORD/change')?.access).toBe('public');
      const before = upstream.seen.length;
      const res = await call('/V1/users', {
        headers: { authorization: `Bearer ${issuer.tokenFor('admin', PLATFORM_TENANT_ID)}` },
      });
      expect(res.status).toBe(404);
      expect(upstream.seen.length).toBe(before);
    });

    it('answers 404 for paths outside the table, including internal ones', async () => {
      const before = upstream.seen.length;
      for (const path of ['/v1/nothing', '/internal/v1/tenants/by-host/shop.acme.test']) {
        const res = await call(path);
        expect(res.status).toBe(404);
        expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      }
      expect(upstream.seen.length).toBe(before);
    });
  });

  describe('authentication', () => {
    const rejected = [
      ['no token', undefined],
      ['a forged signature', createTestIssuer('geminis-identity', 'geminis').sign({}, { kid: issuer.kid })],
      ['an expired token', issuer.sign({ exp: Math.floor(Date.now() / 1000) - 300 })],
      ['another audience', issuer.sign({ aud: 'elsewhere' })],
    ] as const;
    it.each(rejected)('answers 401 for %s without reaching the upstream', async (_label, token) => {
      const before = upstream.seen.length;
      const res = await call('/v1/clients', token ? { headers: { authorization: `Bearer ${token}` } } : {});
      expect(res.status).toBe(401);
      expect(upstream.seen.length).toBe(before);
    });

    it('keeps a client token away from admin routes', async () => {
      const res = await call('/v1/admin/signing-keys', {
        headers: { authorization: `Bearer ${issuer.tokenFor('client', ACME)}` },
      });
      expect(res.status).toBe(403);
    });

    it('forwards the original Authorization, a request id and the host, and strips injected identity headers', async () => {
      const token = issuer.tokenFor('reseller', ACME);
      const res = await call('/v1/clients?page=2', {
        headers: {
          authorization: `Bearer ${token}`,
          'x-tenant-id': PLATFORM_TENANT_ID,
          'x-user-id': 'someone-else',
          'x-role': 'admin',
          'x-geminis-tenant': PLATFORM_TENANT_ID,
          'x-forwarded-for': '6.6.6.6',
          'x-request-id': 'req-42',
        },
      });
      expect(res.status).toBe(200);
      const seen = lastSeen();
      expect(seen.url).toBe('/v1/clients?page=2');
      expect(seen.headers.authorization).toBe(`Bearer ${token}`);
      expect(seen.headers['x-request-id']).toBe('req-42');
      expect(seen.headers['x-forwarded-for']).not.toContain('6.6.6.6');
      for (const h of ['x-tenant-id', 'x-user-id', 'x-role', 'x-geminis-tenant'])
        expect(seen.headers[h]).toBeUndefined();
    });
  });

  describe('storefront tenant from the host', () => {
    it("routes a reseller's custom domain to that reseller's storefront", async () => {
      const res = await getWithHost(gateway.url, '/v1/storefront/products?currency=EUR', 'shop.acme.test');
      expect(res.status).toBe(200);
      expect(lastSeen().url).toBe(`/v1/storefront/${ACME}/products?currency=EUR`);
    });

    it('routes a platform host to the platform storefront', async () => {
      await getWithHost(gateway.url, '/v1/storefront/products', 'localhost:8080');
      expect(lastSeen().url).toBe(`/v1/storefront/${PLATFORM_TENANT_ID}/products`);
    });

    it('answers 404 for an unknown host instead of guessing', async () => {
      const before = upstream.seen.length;
      const res = await getWithHost(gateway.url, '/v1/storefront/products', 'unknown.example');
      expect(res.status).toBe(404);
      expect(JSON.parse(res.body).code).toBe('storefront.unknown_host');
      expect(upstream.seen.length).toBe(before);
    });

    it("forgets a cached host on every replica when identity announces the reseller's domains changed", async () => {
      hosts.set('old.acme.test', { tenantId: ACME, slug: 'acme', brandName: 'Acme', status: 'active' });
      expect((await getWithHost(gateway.url, '/v1/storefront/p', 'old.acme.test')).status).toBe(200);
      await expect(otherReplica.resolve('old.acme.test')).resolves.toMatchObject({ tenantId: ACME });
      hosts.delete('old.acme.test'); // identity moved the domain; the replicas still have it cached
      expect((await getWithHost(gateway.url, '/v1/storefront/p', 'old.acme.test')).status).toBe(200);
      await expect(otherReplica.resolve('old.acme.test')).resolves.toMatchObject({ tenantId: ACME });
      await bus.publish({
        id: 'evt-1',
        routingKey: 'identity.reseller.updated.v1',
        body: Buffer.from(
          JSON.stringify({
            id: '0193a1b2-c3d4-7e5f-8a6b-000000000001',
            type: 'identity.reseller.updated.v1',
            source: 'identity',
            time: new Date().toISOString(),
            tenantId: ACME,
            correlationId: 'c',
            data: {
              resellerId: ACME,
              slug: 'acme',
              brandName: 'Acme',
              customDomains: ['shop.acme.test'],
              previousCustomDomains: ['old.acme.test'],
              allowCustomProducts: true,
              status: 'active',
            },
          }),
        ),
      });
      await new Promise((r) => setTimeout(r, 50));
      expect((await getWithHost(gateway.url, '/v1/storefront/p', 'old.acme.test')).status).toBe(404);
      await expect(otherReplica.resolve('old.acme.test')).rejects.toMatchObject({
        code: 'storefront.unknown_host',
      });
    });
  });

  describe('bodies', () => {
    it('passes a callback body through byte for byte', async () => {
      const upstreamWithBilling = createUpstream({
        name: 'billing',
        baseUrl: upstream.url,
        timeoutMs: 2000,
        bodyLimitBytes: 1024,
      });
      const app = createGatewayApp({
        logger: createLogger({ service: 'gateway', level: 'silent' }),
        verifier: createTokenVerifier({ issuer: 'x', audience: 'y', keyResolver: async () => undefined }),
        upstreams: { billing: upstreamWithBilling },
        resolver,
        limits: createRateLimits({ authPerMinute: 5, apiPerMinute: 100 }),
        corsOrigins: [],
      });
      const gw = await listen(app, 0);
      try {
        const bytes = Buffer.from('{"id": "evt_1",  "amount":1000}\r\n\u00e9', 'utf8');
        const res = await fetch(`${gw.url}/v1/callbacks/payments/stripe`, {
          method: 'POST',
          body: bytes,
          headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=abc' },
        });
        expect(res.status).toBe(200);
        expect(lastSeen().body.equals(bytes)).toBe(true);
        expect(lastSeen().headers['stripe-signature']).toBe('t=1,v1=abc');
      } finally {
        await gw.close();
        upstreamWithBilling.close();
      }
    });

    it('rejects an oversize body with 413 problem+json, declared or streamed', async () => {
      const token = issuer.tokenFor('admin', PLATFORM_TENANT_ID);
      const declared = await call('/v1/clients', {
        method: 'POST',
        body: 'x'.repeat(5000),
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(declared.status).toBe(413);
      const problem = await json(declared);
      expect(problem.code).toBe('request.too_large');
      expect(problem.errors).toEqual([
        { field: '(body)', message: expect.stringMatching(/^must be at most \d+ bytes$/) },
      ]);
      const stream = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 5; i++) controller.enqueue(new TextEncoder().encode('y'.repeat(500)));
          controller.close();
        },
      });
      const streamed = await call('/v1/clients', {
        method: 'POST',
        body: stream,
        duplex: 'half',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      expect(streamed.status).toBe(413);
    });
  });

  describe('rate limits', () => {
    it('limits authentication calls per client IP with 429 and Retry-After', async () => {
      const statuses: number[] = [];
      const remaining: (string | null)[] = [];
      for (let i = 0; i < 7; i++) {
        const res = await call('/v1/auth/login', { method: 'POST' });
        statuses.push(res.status);
        remaining.push(res.headers.get('ratelimit-remaining'));
        expect(res.headers.get('ratelimit-limit')).toBe('5');
        expect(Number(res.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
      }
      expect(statuses.slice(0, 5).every((s) => s === 200)).toBe(true);
      // The IETF draft's RateLimit-* headers count down, and stay on the refusals.
      expect(remaining).toEqual(['4', '3', '2', '1', '0', '0', '0']);
      const limited = await call('/v1/auth/login', { method: 'POST' });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    });
  });

  describe('headers of proxied answers', () => {
    const SET_BY_GATEWAY = [
      'content-security-policy',
      'cross-origin-opener-policy',
      'cross-origin-resource-policy',
      'origin-agent-cluster',
      'referrer-policy',
      'strict-transport-security',
      'x-content-type-options',
      'x-dns-prefetch-control',
      'x-download-options',
      'x-frame-options',
      'x-permitted-cross-domain-policies',
      'x-xss-protection',
      'access-control-allow-credentials',
      'access-control-expose-headers',
      'vary',
    ];
    const setByGateway = (res: Response) => SET_BY_GATEWAY.map((name) => [name, res.headers.get(name)]);
    const authorization = () => `Bearer ${issuer.tokenFor('admin', PLATFORM_TENANT_ID)}`;

    it("are the gateway's own (helmet's and cors'), the request id and the upstream's", async () => {
      const own = await call('/healthz');
      expect(own.headers.get('x-content-type-options')).toBe('nosniff');
      const proxied = await call('/v1/products', {
        headers: { authorization: authorization(), 'x-request-id': 'req-7' },
      });
      expect(proxied.status).toBe(200);
      expect(setByGateway(proxied)).toEqual(setByGateway(own));
      expect(proxied.headers.get('x-request-id')).toBe('req-7');
      expect(proxied.headers.get('x-upstream')).toBe('echo');
      expect(proxied.headers.get('ratelimit-limit')).toBe('1000');
    });

    it('are on a refusal too', async () => {
      const own = await call('/healthz');
      const refused = await call('/v1/products', { headers: { 'x-request-id': 'req-8' } });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/problem\+json/);
      expect(setByGateway(refused)).toEqual(setByGateway(own));
      expect(refused.headers.get('x-request-id')).toBe('req-8');
    });

    it('carry the CORS answer for a request with an Origin', async () => {
      const res = await call('/v1/products', {
        headers: { authorization: authorization(), origin: 'https://panel.geminis.test' },
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://panel.geminis.test');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-upstream')).toBe('echo');
    });
  });

  describe('CORS', () => {
    it("allows the platform panel and a reseller's domain, and not strangers", async () => {
      const origin = async (o: string) =>
        (await call('/healthz', { headers: { origin: o } })).headers.get('access-control-allow-origin');
      expect(await origin('https://panel.geminis.test')).toBe('https://panel.geminis.test');
      expect(await origin('https://shop.acme.test')).toBe('https://shop.acme.test');
      expect(await origin('https://evil.test')).toBeNull();
    });
  });

  describe('docs', () => {
    it('serves OpenAPI 3.1, AsyncAPI and a docs page', async () => {
      const openapi = await json(await call('/v1/openapi.json'));
      expect(openapi.openapi).toBe('3.1.0');
      expect(Object.keys(openapi.paths)).toContain('/v1/clients/{path}');
      expect((await json(await call('/v1/asyncapi.json'))).asyncapi).toBe('3.0.0');
      const page = await call('/docs');
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('/v1/storefront');
      // Swagger UI and its start script come from the gateway itself (the CSP allows only 'self').
      expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
      expect(scripts).toEqual(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/docs.js']);
      expect(html).not.toMatch(/<script>/);
      const bundle = await call(scripts[0]!);
      expect(bundle.status).toBe(200);
      expect(bundle.headers.get('content-type')).toMatch(/javascript/);
      expect((await bundle.text()).length).toBeGreaterThan(100_000);
      const start = await (await call(scripts[1]!)).text();
      expect(start).toContain("url: '/v1/openapi.json'");
      expect((await call('/docs/assets/swagger-ui.css')).headers.get('content-type')).toMatch(/text\/css/);
    });

    it('serves only the Swagger UI files /docs needs, nothing else of the package or the disk', async () => {
      for (const path of [
        '/docs/assets/package.json',
        '/docs/assets/index.html',
        '/docs/assets/..%2Fpackage.json',
        '/docs/assets/%2e%2e%2f%2e%2e%2fpackage.json',
      ]) {
        const res = await call(path);
        expect([path, res.status]).toEqual([path, 404]);
        await res.text();
      }
    });
  });
});
