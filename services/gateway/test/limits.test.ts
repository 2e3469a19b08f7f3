import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createLogger, createTokenVerifier, listen, newId, type ListeningServer } from '@geminis/service-kit';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import express from 'express';
import { createGatewayApp } from '../src/app';
import { createUpstream } from '../src/proxy';
import { createRateLimits, type ApiCaller } from '../src/rate-limit';
import { createTenantResolver } from '../src/tenant-resolver';
import { startEchoUpstream } from './support';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { status?: number }) => String(e.status),
  );
const user = (role: 'admin' | 'reseller' | 'client', tenantId: string, userId = newId()): ApiCaller => ({
  kind: 'user',
  userId,
  tenantId,
  role,
});

describe('gateway API limits per principal', () => {
  it("gives each user its own budget: a client that used up its own leaves the platform admin's whole", async () => {
    const limits = createRateLimits({ authPerMinute: 10, apiPerMinute: 3 });
    const client = user('client', PLATFORM_TENANT_ID);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await outcome(limits.api(client)));
    expect(results).toEqual(['ok', 'ok', 'ok', '429', '429']);
    expect(await outcome(limits.api(user('admin', PLATFORM_TENANT_ID)))).toBe('ok');
    expect(await outcome(limits.api(user('client', PLATFORM_TENANT_ID)))).toBe('ok');
  });

  it("holds a tenant's clients together under a wider ceiling that never counts its staff", async () => {
    const tenant = newId();
    const limits = createRateLimits({ authPerMinute: 10, apiPerMinute: 3, tenantPerMinute: 5 });
    const results = [];
    for (const c of [user('client', tenant), user('client', tenant), user('client', tenant)]) {
      for (let i = 0; i < 2; i++) results.push(await outcome(limits.api(c)));
    }
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', '429']);
    const reseller = user('reseller', tenant);
    expect(await outcome(limits.api(reseller))).toBe('ok');
    expect(await outcome(limits.api(user('client', newId())))).toBe('ok'); // another tenant's client
  });

  it('counts anonymous callers per IP', async () => {
    const limits = createRateLimits({ authPerMinute: 10, apiPerMinute: 2 });
    const results = [];
    for (let i = 0; i < 3; i++)
      results.push(await outcome(limits.api({ kind: 'anonymous', ip: '10.0.0.9' })));
    expect(results).toEqual(['ok', 'ok', '429']);
    expect(await outcome(limits.api({ kind: 'anonymous', ip: '10.0.0.10' }))).toBe('ok');
  });
});

describe('gateway client address', () => {
  const issuer = createTestIssuer('geminis-identity', 'geminis');
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let identity: ListeningServer;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    identity = await listen(express(), 0);
  });
  afterAll(async () => {
    await upstream.close();
    await identity.close();
  });

  async function gatewayWith(trustedProxies?: string[]) {
    const resolver = createTenantResolver({
      identityUrl: identity.url,
      platformHosts: ['localhost'],
      ttlMs: 1000,
    });
    const app = createGatewayApp({
      logger: createLogger({ service: 'gateway', level: 'silent' }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      upstreams: {
        identity: createUpstream({
          name: 'identity',
          baseUrl: upstream.url,
          timeoutMs: 2000,
          bodyLimitBytes: 1024,
        }),
      },
      resolver,
      limits: createRateLimits({ authPerMinute: 3, apiPerMinute: 100 }),
      corsOrigins: [],
      ...(trustedProxies ? { trustedProxies } : {}),
    });
    const server = await listen(app, 0);
    return {
      login: async (forwardedFor: string) =>
        (
          await fetch(`${server.url}/v1/auth/login`, {
            method: 'POST',
            headers: { 'x-forwarded-for': forwardedFor },
          })
        ).status,
      close: async () => {
        await server.close();
        resolver.close();
      },
    };
  }

  it('ignores a client-sent X-Forwarded-For unless its peer is a configured proxy: no new budget per header', async () => {
    const gw = await gatewayWith();
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push(await gw.login(`198.51.100.${i}`));
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      expect(upstream.seen.at(-1)?.headers['x-forwarded-for']).not.toContain('198.51.100');
    } finally {
      await gw.close();
    }
  });

  it('believes X-Forwarded-For from a configured proxy and limits each client behind it apart', async () => {
    const gw = await gatewayWith(['loopback']);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await gw.login('203.0.113.7'));
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(await gw.login('203.0.113.8')).toBe(200);
      expect(upstream.seen.at(-1)?.headers['x-forwarded-for']).toBe('203.0.113.8');
    } finally {
      await gw.close();
    }
  });
});

describe('gateway host cache', () => {
  let identity: ListeningServer;
  const asked: string[] = [];

  beforeAll(async () => {
    const app = express();
    app.get('/internal/v1/tenants/by-host/:host', (req, res) => {
      asked.push(req.params.host);
      setTimeout(() => res.status(404).json({ code: 'tenant.not_found' }), 20);
    });
    identity = await listen(app, 0);
  });
  afterAll(() => identity.close());
  beforeEach(() => {
    asked.length = 0;
  });

  it('remembers at most maxEntries hosts, found or not, and asks identity once per unknown host', async () => {
    const resolver = createTenantResolver({
      identityUrl: identity.url,
      platformHosts: ['localhost'],
      ttlMs: 60_000,
      maxEntries: 3,
    });
    try {
      for (let i = 0; i < 10; i++) expect(await resolver.isKnownHost(`h${i}.example`)).toBe(false);
      expect(resolver.cachedHosts()).toBe(3);
      await resolver.isKnownHost('h9.example');
      expect(asked.filter((h) => h === 'h9.example')).toHaveLength(1);
      await Promise.all(Array.from({ length: 5 }, () => resolver.isKnownHost('same.example')));
      expect(asked.filter((h) => h === 'same.example')).toHaveLength(1);
      expect(resolver.cachedHosts()).toBe(3);
    } finally {
      resolver.close();
    }
  });

  it('never asks identity about a Host that cannot be a host name', async () => {
    const resolver = createTenantResolver({
      identityUrl: identity.url,
      platformHosts: ['localhost'],
      ttlMs: 60_000,
    });
    try {
      for (const host of ['a'.repeat(300) + '.example', 'bad host', 'x%00.example', 'ü.example']) {
        expect(await resolver.isKnownHost(host)).toBe(false);
      }
      expect(asked).toEqual([]);
    } finally {
      resolver.close();
    }
  });
});
