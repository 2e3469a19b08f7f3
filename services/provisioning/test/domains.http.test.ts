import { allTenants, createRabbitBus, newId, rows, type IncomingMessage } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { sql } from 'drizzle-orm';
import { startRegistrarStandIn, type RegistrarStandIn } from '../src/dev/registrar-stand-in';
import { seedDomainsDemo } from '../src/service';
import { REGISTER, registerRequest, RENEW, renewRequest, runDomainJobsUntil } from './support/domains';
import { waitFor } from './support/jobs';
import {
  client,
  PLATFORM_TENANT_ID,
  startProvisioning,
  TEST_ENCRYPTION_KEY,
  type Harness,
} from './support/provisioning';

/** Rows of a table in every tenant (the test's own cross-tenant look). */
const count = async (h: Harness, table: string) =>
  (
    await h.db.withTenant(allTenants, (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`),
    )
  )[0]!.n;

describe('domains: bad input, bad events, and the demo seed', () => {
  let h: Harness;
  let registrar: RegistrarStandIn;
  const R = newId();

  beforeAll(async () => {
    registrar = await startRegistrarStandIn();
    h = await startProvisioning();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await registrar?.close();
  });

  it('refuses bad registrar accounts with 400 naming the field, writing nothing', async () => {
    const api = client(h.url);
    const reseller = h.issuer.tokenFor('reseller', newId());
    const good = {
      name: 'rc',
      registrar: 'resellerclub',
      endpoint: 'https://test.httpapi.com',
      credentials: { resellerId: '123456', apiKey: 'LB-API-KEY-123' },
    };
    const cases: [string, Record<string, unknown>][] = [
      ['registrar', { ...good, registrar: 'godaddy' }],
      ['credentials.apiKey', { ...good, credentials: { resellerId: '123456' } }],
      ['credentials.resellerId', { ...good, credentials: { resellerId: 'abc', apiKey: 'LB-API-KEY-123' } }],
      [
        'credentials',
        { ...good, credentials: { resellerId: '123456', apiKey: 'LB-API-KEY-123', token: 'x' } },
      ],
      [
        'credentials.clientIp',
        {
          ...good,
          registrar: 'namecheap',
          credentials: { apiUser: 'u', apiKey: 'KEY-12345678', userName: 'u', clientIp: '300.1.1.1' },
        },
      ],
      ['endpoint', { ...good, endpoint: 'ftp://test.httpapi.com' }],
      ['endpoint', { ...good, endpoint: 'not a url' }],
      ['name', { ...good, name: '' }],
      ['webhookUrl', { ...good, webhookUrl: 'javascript:alert(1)' }],
    ];
    for (const [field, body] of cases) {
      const res = await api.post('/v1/registrars/accounts', body, reseller);
      expect([field, res.status, res.headers.get('content-type')]).toEqual([
        field,
        400,
        expect.stringContaining('problem+json'),
      ]);
      expect([field, JSON.stringify(res.body.errors ?? res.body)]).toEqual([
        field,
        expect.stringContaining(field),
      ]);
    }
    expect(await count(h, 'registrar_accounts')).toBe(0);
    expect((await api.post('/v1/registrars/accounts', good, reseller)).status).toBe(201);
    expect(await count(h, 'registrar_accounts')).toBe(1); // the count sees what is written
    const tld = await api.put('/v1/registrars/tlds/not..a..tld', { accountId: newId() }, reseller);
    expect(tld.status).toBe(404);
    const unknownAccount = await api.put('/v1/registrars/tlds/.com', { accountId: newId() }, reseller);
    expect(unknownAccount.status).toBe(400);
    expect(await count(h, 'tld_registrars')).toBe(0);
    await h.db.withTenant(allTenants, (tx) => tx.execute(sql`delete from registrar_accounts`));
  });

  it('dead-letters an invalid domain request and writes nothing', async () => {
    const bad = { ...registerRequest('bad-years.com'), years: 0 };
    expect(await h.deliver(REGISTER, newId(), bad)).toBe('dead-letter');
    const noContact = { ...registerRequest('no-contact.com'), registrant: { firstName: 'Ada' } };
    expect(await h.deliver(REGISTER, newId(), noContact)).toBe('dead-letter');
    expect(await count(h, 'domains')).toBe(0);
    expect(await count(h, 'domain_jobs')).toBe(0);
  });

  it('seeds the demo registrars once, and a demo client searches, registers and renews offline', async () => {
    const options = {
      encryptionKey: TEST_ENCRYPTION_KEY,
      registrarUrl: registrar.url,
      gatewayUrl: 'http://localhost:8080',
      resellerTenantId: R,
    };
    const first = await seedDomainsDemo(h.db, options);
    expect(await seedDomainsDemo(h.db, options)).toEqual(first);
    expect(first.platform.webhookUrl).toBe(
      `http://localhost:8080/v1/callbacks/registrars/namecom/${first.platform.accountId}`,
    );
    const api = client(h.url);
    const reseller = h.issuer.tokenFor('reseller', R);
    const accounts = (await api.get('/v1/registrars/accounts', reseller)).body.items as any[];
    expect(accounts.map((a) => a.name)).toEqual(['reseller-namecom']);
    // The reseller's client searches: .io through the reseller's own account, .com through the platform's.
    const search = await api.get(
      '/v1/domain-search/' + R + '?names=demo-shop.com,demo-shop.io,example.com',
      undefined,
    );
    expect(search.body.items.map((i: any) => [i.domain, i.available])).toEqual([
      ['demo-shop.com', true],
      ['demo-shop.io', true],
      ['example.com', false],
    ]);
    const req = registerRequest('demo-shop.io');
    await h.deliver(REGISTER, R, req);
    await h.deliver(RENEW, R, renewRequest(req, 2));
    const owner = h.issuer.tokenFor('client', R, req.client.clientId);
    await runDomainJobsUntil(h, async () => {
      const jobs = (await api.get('/v1/domains/jobs', reseller)).body.items as any[];
      return jobs.length === 2 && jobs.every((j) => j.status === 'done');
    });
    const [mine] = (await api.get('/v1/domains', owner)).body.items as any[];
    expect(mine).toMatchObject({ domain: 'demo-shop.io', status: 'active', registrar: 'namecom' });
    expect(new Date(mine.expiresAt).getUTCFullYear()).toBe(new Date().getUTCFullYear() + 3);
    expect(registrar.calls['POST /v4/domains']).toBe(1);
    expect(
      (await api.get('/v1/domains', h.issuer.tokenFor('admin', PLATFORM_TENANT_ID))).body.items,
    ).toHaveLength(1);
  });
});

/** Billing's request over a real RabbitMQ, published twice; the runner on its own; the result heard once. */
describe('domains over RabbitMQ', () => {
  let vhost: TestVhost;
  let h: Harness;
  let registrar: RegistrarStandIn;
  const heard: { type: string; data: any }[] = [];

  beforeAll(async () => {
    registrar = await startRegistrarStandIn();
    vhost = await createTestVhost('gm_provisioning');
    const bus = createRabbitBus({ url: vhost.url });
    h = await startProvisioning({ bus, config: { jobs: { autoStart: true, pollMs: 100 } } });
    await bus.subscribe(
      { name: 'billing-test', bindings: ['provisioning.domain.#'] },
      async (m: IncomingMessage) => {
        const envelope = JSON.parse(m.body.toString('utf8'));
        heard.push({ type: envelope.type, data: envelope.data });
        return 'ack';
      },
    );
    await seedDomainsDemo(h.db, {
      encryptionKey: TEST_ENCRYPTION_KEY,
      registrarUrl: registrar.url,
      gatewayUrl: 'http://localhost:8080',
      resellerTenantId: newId(),
    });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await vhost?.drop();
    await registrar?.close();
  });

  it('turns a register request published twice into one registration and one registered event', async () => {
    const req = registerRequest('over-rabbit.com');
    const id = newId();
    const envelope = {
      id,
      type: REGISTER,
      source: 'billing',
      time: new Date().toISOString(),
      tenantId: newId(),
      correlationId: id,
      data: req,
    };
    const message = { id, routingKey: REGISTER, body: Buffer.from(JSON.stringify(envelope)) };
    await h.bus.publish(message);
    await h.bus.publish(message);
    const registered = await waitFor(
      async () =>
        heard.find(
          (e) => e.type === 'provisioning.domain.registered.v1' && e.data.domain === 'over-rabbit.com',
        ),
      'the registered event',
    );
    expect(registered.data).toMatchObject({ domainServiceId: req.domainServiceId, registrar: 'namecom' });
    expect(registrar.calls['POST /v4/domains']).toBe(1);
    expect(heard.filter((e) => e.data.domain === 'over-rabbit.com')).toHaveLength(1);
  });
});
