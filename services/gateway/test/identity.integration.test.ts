import { compileErrors, validate } from '@readme/openapi-parser';
import {
  createLogger,
  createRabbitBus,
  listen,
  loadConfig,
  openPostgres,
  runService,
  type Bus,
  type Database,
  type ListeningServer,
  type RunningService,
} from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestVhost } from '@geminis/service-kit/src/testing/rabbit';
import {
  identityService,
  seedIdentityDemo,
  DEMO_PASSWORDS,
  type IdentityBuilt,
} from '../../identity/src/service';
import { gatewayConfigShape } from '../src/config';
import { buildGateway, type BuiltGateway } from '../src/gateway';
import { getWithHost, startEchoUpstream } from './support';

jest.setTimeout(60_000);
const json = async (res: Response): Promise<any> => res.json();

// The gateway in front of the real identity service (real PostgreSQL, real RabbitMQ): tokens identity
// signs verify at the gateway through its JWKS, storefront hosts resolve through identity's lookup, and
// identity's reseller events drop the gateway's cached hosts.
describe('gateway with the identity service', () => {
  const logger = createLogger({ service: 'test', level: 'silent' });
  let testDb: TestDatabase;
  let vhost: Awaited<ReturnType<typeof createTestVhost>>;
  let db: Database;
  let identityBus: Bus;
  let gatewayBus: Bus;
  let identity: RunningService<IdentityBuilt>;
  let catalog: Awaited<ReturnType<typeof startEchoUpstream>>;
  let built: BuiltGateway;
  let gateway: ListeningServer;
  let demo: Awaited<ReturnType<typeof seedIdentityDemo>>;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    vhost = await createTestVhost();
    db = openPostgres({ url: testDb.url });
    identityBus = createRabbitBus({ url: vhost.url });
    gatewayBus = createRabbitBus({ url: vhost.url });
    const issuer = 'https://identity.test';
    identity = await runService(
      identityService({ issuer, audience: 'geminis', encryptionKey: 'k'.repeat(43) }),
      {
        db,
        bus: identityBus,
        logger,
        serviceKey: 's'.repeat(43),
        port: 0,
        keepPublishedEvents: true,
        relayPollMs: 50,
        checkResponses: true,
      },
    );
    demo = await seedIdentityDemo(db, identity.built.services);
    catalog = await startEchoUpstream();
    const { config } = loadConfig(gatewayConfigShape, {
      LOG_LEVEL: 'silent',
      IDENTITY_URL: identity.url,
      INTERNAL_SERVICE_KEY: 's'.repeat(43),
      CATALOG_URL: catalog.url,
      JWT_ISSUER: issuer,
      PLATFORM_HOSTS: 'localhost',
      HOST_CACHE_TTL_MS: '600000',
    });
    built = await buildGateway({ config, logger, bus: gatewayBus });
    gateway = await listen(built.app, 0);
  });

  afterAll(async () => {
    await gateway.close();
    await built.close();
    await catalog.close();
    await identity.stop();
    await identityBus.close();
    await gatewayBus.close();
    await db.close();
    await testDb.drop();
    await vhost.drop();
  });

  const login = async (email: string, password: string, tenantSlug?: string) => {
    const res = await fetch(`${gateway.url}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password, ...(tenantSlug ? { tenantSlug } : {}) }),
    });
    expect(res.status).toBe(200);
    return (await json(res)).accessToken as string;
  };

  it("lets a client log in through the gateway and use identity's token on authenticated routes", async () => {
    const token = await login(demo.resellerClient.email, DEMO_PASSWORDS.resellerClient, 'acme');
    const me = await fetch(`${gateway.url}/v1/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(await json(me)).toMatchObject({
      email: demo.resellerClient.email,
      tenantId: demo.reseller.tenantId,
    });
    const denied = await fetch(`${gateway.url}/v1/clients`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(denied.status).toBe(403);
  });

  it("documents identity's own operations in the gateway's OpenAPI document with their bodies and query parameters, and not its internal ones", async () => {
    const doc = await json(await fetch(`${gateway.url}/v1/openapi.json`));
    expect(Object.keys(doc.paths['/v1/clients/{id}'])).toEqual(expect.arrayContaining(['get', 'patch']));
    expect(doc.paths['/v1/auth/login'].post.security).toEqual([]);
    expect(doc.paths['/v1/clients/{id}'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/auth/login'].post.requestBody.content['application/json'].schema).toMatchObject({
      type: 'object',
      required: ['email', 'password'],
    });
    expect(doc.paths['/v1/clients'].get.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'limit', in: 'query' })]),
    );
    expect(doc.paths['/v1/clients/{path}']).toBeUndefined();
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/internal'))).toBe(false);
    // The answers too, from the schemas identity's responses are checked against in its tests.
    expect(
      doc.paths['/v1/clients/{id}'].get.responses['200'].content['application/json'].schema,
    ).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['id', 'email', 'tenantId']),
    });
    expect(Object.keys(doc.paths['/v1/clients/{id}'].get.responses)).toEqual(
      expect.arrayContaining(['401', '403', '404']),
    );
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
  });

  it("resolves a reseller's domain, and follows a domain change announced by identity", async () => {
    const first = await getWithHost(gateway.url, '/v1/storefront/products', demo.reseller.domain);
    expect(first.status).toBe(200);
    expect(catalog.seen.at(-1)!.url).toBe(`/v1/storefront/${demo.reseller.tenantId}/products`);

    const admin = await login(demo.admin.email, DEMO_PASSWORDS.admin);
    const patched = await fetch(`${gateway.url}/v1/resellers/${demo.reseller.tenantId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customDomains: ['shop.acme-hosting.test'] }),
    });
    expect(patched.status).toBe(200);

    // The old domain was cached for 10 minutes: only identity's event can make it 404 this soon.
    const deadline = Date.now() + 15_000;
    let old = await getWithHost(gateway.url, '/v1/storefront/products', demo.reseller.domain);
    while (old.status === 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      old = await getWithHost(gateway.url, '/v1/storefront/products', demo.reseller.domain);
    }
    expect(old.status).toBe(404);
    const moved = await getWithHost(gateway.url, '/v1/storefront/products', 'shop.acme-hosting.test');
    expect(moved.status).toBe(200);
    expect(catalog.seen.at(-1)!.url).toBe(`/v1/storefront/${demo.reseller.tenantId}/products`);
  });
  it('refuses the tokens of a suspended client and of a suspended reseller’s users before they expire, on a running replica and on one started later', async () => {
    const admin = await login(demo.admin.email, DEMO_PASSWORDS.admin);
    const call = (base: string, method: string, path: string, token: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const password = 'long-enough-pass-1';
    const created = await call(gateway.url, 'POST', '/v1/clients', admin, {
      email: 'suspend-me@example.com',
      name: 'S',
      password,
    });
    expect(created.status).toBe(201);
    const clientId = (await json(created)).id as string;
    const reseller = await call(gateway.url, 'POST', '/v1/resellers', admin, {
      slug: 'soon-suspended',
      brandName: 'Soon',
      owner: { email: 'owner@soon.example', name: 'O', password },
    });
    expect(reseller.status).toBe(201);
    const resellerId = (await json(reseller)).reseller.id as string;
    const clientToken = await login('suspend-me@example.com', password);
    const ownerToken = await login('owner@soon.example', password, 'soon-suspended');
    for (const token of [clientToken, ownerToken]) {
      expect((await call(gateway.url, 'GET', '/v1/me', token)).status).toBe(200);
    }

    expect((await call(gateway.url, 'POST', `/v1/clients/${clientId}/suspend`, admin, {})).status).toBe(200);
    expect((await call(gateway.url, 'POST', `/v1/resellers/${resellerId}/suspend`, admin, {})).status).toBe(
      200,
    );
    // Identity's events reach this replica: both tokens, still unexpired, are refused at the front door.
    const refusal = async (base: string, token: string) => {
      const res = await call(base, 'GET', '/v1/me', token);
      return [res.status, (await json(res)).code as string | undefined] as const;
    };
    for (const token of [clientToken, ownerToken]) {
      const deadline = Date.now() + 15_000;
      let seen = await refusal(gateway.url, token);
      while (seen[1] !== 'auth.revoked' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        seen = await refusal(gateway.url, token);
      }
      expect(seen).toEqual([401, 'auth.revoked']);
    }
    expect((await call(gateway.url, 'GET', '/v1/me', admin)).status).toBe(200);

    // A replica started afterwards, without the bus, learns them from identity before it is ready.
    const { config } = loadConfig(gatewayConfigShape, {
      LOG_LEVEL: 'silent',
      IDENTITY_URL: identity.url,
      INTERNAL_SERVICE_KEY: 's'.repeat(43),
      JWT_ISSUER: 'https://identity.test',
      PLATFORM_HOSTS: 'localhost',
    });
    const later = await buildGateway({ config, logger });
    const laterServer = await listen(later.app, 0);
    try {
      expect((await fetch(`${laterServer.url}/readyz`)).status).toBe(200);
      expect(await refusal(laterServer.url, clientToken)).toEqual([401, 'auth.revoked']);
      expect(await refusal(laterServer.url, ownerToken)).toEqual([401, 'auth.revoked']);
      expect((await call(laterServer.url, 'GET', '/v1/me', admin)).status).toBe(200);
    } finally {
      await laterServer.close();
      await later.close();
    }

    // With a wrong service key identity refuses to tell: that replica stays unready instead of serving.
    const wrong = await buildGateway({
      config: { ...config, INTERNAL_SERVICE_KEY: 'w'.repeat(43) },
      logger,
    });
    const wrongServer = await listen(wrong.app, 0);
    try {
      const ready = await fetch(`${wrongServer.url}/readyz`);
      expect(ready.status).toBe(503);
      expect((await json(ready)).detail).toContain('revocations');
    } finally {
      await wrongServer.close();
      await wrong.close();
    }
  });
});
