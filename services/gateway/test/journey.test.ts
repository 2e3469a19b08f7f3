import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { type ServiceName } from '@geminis/contracts';
import { createLogger, createRabbitBus, openPostgres, type Bus, type Database } from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { DEMO_PASSWORDS } from '../../identity/src/service';
import { startPlatform, type Platform } from '../../../scripts/platform';

jest.setTimeout(180_000);

/**
 * The product's journey through the gateway, with every service on real PostgreSQL (a database each) and
 * real RabbitMQ: a client orders with a promo code → an invoice is issued → staff record the payment →
 * provisioning creates the account on the panel (a WHM API 1 stand-in) → the service is active.
 */
describe('the journey through the platform', () => {
  let platform: Platform;
  let vhost: TestVhost;
  let bus: Bus;
  const testDbs: TestDatabase[] = [];
  const pools: Database[] = [];
  let url: string;

  beforeAll(async () => {
    vhost = await createTestVhost();
    const logger = createLogger({ service: 'journey', level: 'silent' });
    bus = createRabbitBus({ url: vhost.url, logger });
    platform = await startPlatform({
      async database(name: ServiceName) {
        const testDb = await createTestDatabase(`gm_journey_${name}`);
        testDbs.push(testDb);
        const db = openPostgres({ url: testDb.url, max: 5, applicationName: name });
        pools.push(db);
        return db;
      },
      bus,
      logger,
      env: {},
      secrets: (names) => Object.fromEntries(names.map((n) => [n, randomBytes(32).toString('base64url')])),
      gateway: { port: 0, host: '127.0.0.1' },
      relayPollMs: 50,
    });
    url = platform.gateway.url;
  });

  afterAll(async () => {
    await platform?.close();
    await bus?.close();
    for (const db of pools) await db.close();
    for (const t of testDbs) await t.drop();
    await vhost?.drop();
  });

  const call = async (method: string, path: string, token?: string, body?: unknown, key?: string) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(key ? { 'idempotency-key': key } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const login = async (email: string, password: string, tenantSlug?: string) =>
    (
      await call('POST', '/v1/auth/login', undefined, {
        email,
        password,
        ...(tenantSlug ? { tenantSlug } : {}),
      })
    ).body.accessToken as string;

  /** The id a reseller's clients see for a platform product it resells (white-label: never the platform's). */
  const resoldId = async (resellerToken: string, platformProductId: string): Promise<string> => {
    const res = await call('GET', '/v1/offerings', resellerToken);
    expect(res.status).toBe(200);
    const offering = (res.body.items as { product: { id: string }; storefrontId: string | null }[]).find(
      (o) => o.product.id === platformProductId,
    );
    return offering!.storefrontId!;
  };

  async function until<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('takes a reseller’s client from order to an active cPanel account', async () => {
    const client = await login('client@acme.localhost', DEMO_PASSWORDS.resellerClient, 'acme');
    const reseller = await login('reseller@acme.localhost', DEMO_PASSWORDS.reseller, 'acme');
    // Acme resells the platform's Starter (cPanel) at its own price, under its own id (white-label).
    const starter = await resoldId(reseller, platform.demo.catalog.platform.starter);

    const order = await call(
      'POST',
      '/v1/orders',
      client,
      { items: [{ productId: starter, cycle: 'monthly', domain: 'journey-example.com' }] },
      'journey-order-1',
    );
    expect(order.status).toBe(201);
    const { invoiceId, total } = order.body as { invoiceId: string; total: number };
    expect(Number.isInteger(total) && total > 0).toBe(true);

    const invoice = await call('GET', `/v1/invoices/${invoiceId}`, client);
    expect(invoice.body.status).toBe('unpaid');
    expect(invoice.body.number).toMatch(/\d+$/);

    // Another tenant's client cannot see it, and gets what a missing invoice gets.
    const other = await login('client@geminis.local', DEMO_PASSWORDS.platformClient);
    const foreign = await call('GET', `/v1/invoices/${invoiceId}`, other);
    const missing = await call('GET', `/v1/invoices/01a22b7d-0000-7000-8000-000000000000`, other);
    expect([foreign.status, foreign.body.code]).toEqual([missing.status, missing.body.code]);
    expect(foreign.status).toBe(404);

    const paid = await call(
      'POST',
      `/v1/invoices/${invoiceId}/payments`,
      reseller,
      { amount: total },
      'pay-1',
    );
    expect(paid.status).toBe(201);
    expect(paid.body.invoice.status).toBe('paid');

    const services = await until(
      () => call('GET', '/v1/client-services', client),
      (r) => r.body.items?.[0]?.status === 'active',
    );
    expect(services.body.items.map((s: any) => [s.status, s.domain])).toEqual([
      ['active', 'journey-example.com'],
    ]);

    // The account exists on the panel, once, and the client sees it without any credential.
    // (the demo seed's paid platform orders have accounts of their own, on demo-N.example domains)
    const domains = [...platform.whm.accounts.values()].map((a) => a.domain);
    expect(domains.filter((d) => d === 'journey-example.com')).toHaveLength(1);
    expect(domains.filter((d) => !/^demo-\d+\.example$/.test(d))).toEqual(['journey-example.com']);
    const accounts = await call('GET', '/v1/provisioning/accounts', client);
    expect(accounts.status).toBe(200);
    expect(JSON.stringify(accounts.body)).not.toMatch(/token|password/i);
  });

  it('registers a domain a reseller’s client ordered, at the registrar, once paid', async () => {
    const client = await login('client@acme.localhost', DEMO_PASSWORDS.resellerClient, 'acme');
    const reseller = await login('reseller@acme.localhost', DEMO_PASSWORDS.reseller, 'acme');
    // Acme's storefront, by its host (fetch would not send a Host header of our choosing).
    const search = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${url}/v1/domain-search?names=journey-shop.com`,
        { headers: { host: 'acme.localhost' } },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    const found = JSON.parse(search.body) as {
      items: Array<{ available: boolean; price: { register: number; renew: number } }>;
    };
    expect([search.status, found.items[0]!.available]).toEqual([200, true]);

    const registrant = {
      firstName: 'Ada',
      lastName: 'Client',
      email: 'client@acme.localhost',
      phone: '+1.5555550100',
      address1: '1 Main St',
      city: 'Springfield',
      postcode: '12345',
      country: 'US',
    };
    const order = await call(
      'POST',
      '/v1/orders',
      client,
      { domains: [{ domain: 'journey-shop.com', action: 'register', years: 1, registrant }] },
      'journey-domain-1',
    );
    expect(order.status).toBe(201);
    const { invoiceId, total } = order.body as { invoiceId: string; total: number };
    // The storefront's price is what the order charges (catalog's quote, in minor units).
    expect(total).toBe(found.items[0]!.price.register);
    const paid = await call(
      'POST',
      `/v1/invoices/${invoiceId}/payments`,
      reseller,
      { amount: total },
      'pay-d1',
    );
    expect(paid.body.invoice.status).toBe('paid');

    // billing → provisioning (register_requested) → the registrar → billing (registered): active.
    const domains = await until(
      () => call('GET', '/v1/domains', client),
      (r) => (r.body.items ?? []).some((d: any) => d.domain === 'journey-shop.com' && d.status === 'active'),
    );
    expect(domains.body.items.map((d: any) => [d.domain, d.status])).toEqual([
      ['journey-shop.com', 'active'],
    ]);
    const domainService = await until(
      () => call('GET', '/v1/client-services', client),
      (r) => (r.body.items ?? []).some((s: any) => s.domain === 'journey-shop.com' && s.status === 'active'),
    );
    expect(domainService.body.items.filter((s: any) => s.domain === 'journey-shop.com').length).toBe(1);
    // Renewed early by the client: the next year's invoice now (asking twice gives the same one), paid →
    // billing → provisioning → the registrar adds exactly one year → billing's due date follows it.
    const held = domainService.body.items.find((s: any) => s.domain === 'journey-shop.com');
    const before = domains.body.items[0].expiresAt as string;
    const renew = await call('POST', `/v1/client-services/${held.id}/renew`, client);
    expect(renew.status).toBe(201);
    const renewAgain = await call('POST', `/v1/client-services/${held.id}/renew`, client);
    expect([renewAgain.status, renewAgain.body.invoiceId]).toEqual([200, renew.body.invoiceId]);
    const renewal = await call('GET', `/v1/invoices/${renew.body.invoiceId}`, client);
    expect(renewal.body.total).toBe(found.items[0]!.price.renew);
    const paidRenewal = await call(
      'POST',
      `/v1/invoices/${renew.body.invoiceId}/payments`,
      reseller,
      { amount: renewal.body.total },
      'pay-d2',
    );
    expect(paidRenewal.body.invoice.status).toBe('paid');
    const renewed = await until(
      () => call('GET', '/v1/domains', client),
      (r) => r.body.items?.[0]?.expiresAt !== before,
    );
    const years = (iso: string) => new Date(iso).getUTCFullYear();
    expect(years(renewed.body.items[0].expiresAt)).toBe(years(before) + 1);
    const due = await until(
      () => call('GET', `/v1/client-services/${held.id}`, client),
      (r) => r.body.nextDueDate?.slice(0, 4) === String(years(before) + 1),
    );
    expect(due.body.nextDueDate.slice(0, 4)).toBe(String(years(before) + 1));

    // Taken now, on any storefront, although the registrar's "available" answer is still cached.
    const again = await fetch(`${url}/v1/domain-search?names=journey-shop.com`);
    const taken = (await again.json()) as { items: Array<{ available: boolean }> };
    expect(taken.items[0]!.available).toBe(false);
  });

  it('ends with the client opening a ticket at its reseller’s desk and attaching a screenshot', async () => {
    const client = await login('client@acme.localhost', DEMO_PASSWORDS.resellerClient, 'acme');
    const departments = await call('GET', '/v1/support/departments', client);
    // White-label: Acme's client sees Acme's desk only.
    expect(departments.body.items.map((d: any) => d.name)).toEqual(['Acme Support']);
    const ticket = await call('POST', '/v1/support/tickets', client, {
      departmentId: departments.body.items[0].id,
      subject: 'My site is down',
      message: 'It answers 500 since this morning.',
    });
    expect(ticket.status).toBe(201);
    // Raw bytes through the gateway (not JSON): a PNG, sniffed from its signature.
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(64, 1),
    ]);
    const upload = await fetch(
      `${url}/v1/support/attachments?ticketId=${ticket.body.ticket.id}&filename=screenshot.png`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${client}`, 'content-type': 'application/octet-stream' },
        body: png,
      },
    );
    const attached = (await upload.json()) as { contentType: string; size: number };
    expect([upload.status, attached.contentType, attached.size]).toEqual([201, 'image/png', png.length]);
  });

  it('a logged-out session is refused by every service itself, not only by the gateway', async () => {
    const session = (
      await call('POST', '/v1/auth/login', undefined, {
        email: platform.demo.identity.resellerClient.email,
        password: DEMO_PASSWORDS.resellerClient,
        tenantSlug: 'acme',
      })
    ).body as { accessToken: string; refreshToken: string };
    // Straight to each service, past the gateway (as a caller inside the cluster would); catalog has its
    // own test (services/catalog/test/revocation.test.ts).
    const direct = async (service: ServiceName, path: string) =>
      (
        await fetch(`${platform.running[service]!.url}${path}`, {
          headers: { authorization: `Bearer ${session.accessToken}` },
        })
      ).status;
    const probes: Array<[ServiceName, string]> = [
      ['billing', '/v1/invoices'],
      ['provisioning', '/v1/domains'],
      ['support', '/v1/support/tickets'],
    ];
    for (const [service, path] of probes)
      expect([service, await direct(service, path)]).toEqual([service, 200]);

    const logout = await fetch(`${url}/v1/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: session.refreshToken }),
    });
    expect(logout.status).toBe(204);
    // Identity's feed reaches each service within its refresh interval (5 s).
    for (const [service, path] of probes) {
      const status = await until(
        () => direct(service, path),
        (s) => s === 401,
        30_000,
      );
      expect([service, status]).toEqual([service, 401]);
    }
  });
  // Last: it moves billing's (demo) clock forward, which every later step of the platform would see.
  it('renews a reseller’s client’s account, suspends it on the panel when overdue and unsuspends it once paid; each step seen by the client, its reseller and the admin only', async () => {
    const admin = await login('admin@geminis.local', DEMO_PASSWORDS.admin);
    const reseller = await login('reseller@acme.localhost', DEMO_PASSWORDS.reseller, 'acme');
    const client = await login('client@acme.localhost', DEMO_PASSWORDS.resellerClient, 'acme');
    // Another reseller (its staff and a client) and the platform's own client: outsiders to every step.
    const beta = await call('POST', '/v1/resellers', admin, {
      slug: 'beta',
      brandName: 'Beta Hosting',
      owner: { email: 'owner@beta.example', name: 'Beta Owner', password: 'journey-beta-owner-1' },
    });
    expect(beta.status).toBe(201);
    const betaStaff = await login('owner@beta.example', 'journey-beta-owner-1', 'beta');
    const betaClientMade = await call('POST', '/v1/clients', betaStaff, {
      email: 'client@beta.example',
      name: 'Beta Client',
      password: 'journey-beta-client-1',
    });
    expect(betaClientMade.status).toBe(201);
    const betaClient = await login('client@beta.example', 'journey-beta-client-1', 'beta');
    const platformClient = await login('client@geminis.local', DEMO_PASSWORDS.platformClient);
    const owners = { client, reseller, admin };
    const outsiders = { betaStaff, betaClient, platformClient };
    const missingId = '01a22b7d-0000-7000-8000-000000000000';
    /** What `path` answers each owner (200), and that every outsider gets exactly what a missing id gets. */
    const seenByOwnersOnly = async (path: (id: string) => string, id: string) => {
      const seen: Record<string, any> = {};
      for (const [who, token] of Object.entries(owners)) {
        const r = await call('GET', path(id), token);
        expect([who, r.status]).toEqual([who, 200]);
        seen[who] = r.body;
      }
      for (const [who, token] of Object.entries(outsiders)) {
        const foreign = await call('GET', path(id), token);
        const missing = await call('GET', path(missingId), token);
        expect([who, foreign.status, foreign.body.code]).toEqual([who, missing.status, missing.body.code]);
        expect([who, foreign.status]).toEqual([who, 404]);
      }
      return seen;
    };
    const panel = () => ({ ...platform.whm.calls });
    const start = panel();
    const delta = (fn: string) => (platform.whm.calls[fn] ?? 0) - (start[fn] ?? 0);

    // Acme's own promotion, through the gateway; the client orders with it.
    const promo = await call('POST', '/v1/promotions', reseller, {
      code: 'JOURNEY20',
      description: '20% off the first month',
      discount: { kind: 'percent', bps: 2000 },
      appliesTo: { kind: 'order' },
    });
    expect(promo.status).toBe(201);
    const order = await call(
      'POST',
      '/v1/orders',
      client,
      {
        items: [
          {
            productId: await resoldId(reseller, platform.demo.catalog.platform.starter),
            cycle: 'monthly',
            domain: 'journey-life.com',
          },
        ],
        promoCode: 'JOURNEY20',
      },
      'journey-life-1',
    );
    expect(order.status).toBe(201);
    const serviceId = order.body.serviceIds[0] as string;
    const first = await seenByOwnersOnly((id) => `/v1/invoices/${id}`, order.body.invoiceId);
    const discounted = first.client.lines.find((l: any) => l.serviceId === serviceId);
    expect(discounted.discount).toBe(Math.round((discounted.unitPrice * 2000) / 10_000));
    expect(first.client.status).toBe('unpaid');

    // The reseller records the client's manual payment → provisioning → the panel: active.
    const paid = await call(
      'POST',
      `/v1/invoices/${order.body.invoiceId}/payments`,
      reseller,
      { amount: first.client.total },
      'journey-life-pay-1',
    );
    expect(paid.body.invoice.status).toBe('paid');
    const active = await until(
      () => call('GET', `/v1/client-services/${serviceId}`, client),
      (r) => r.body.status === 'active',
    );
    expect(active.body.status).toBe('active');
    const account = () => [...platform.whm.accounts.values()].find((a) => a.domain === 'journey-life.com');
    expect(account()?.suspended).toBe(0);
    expect(delta('createacct')).toBe(1);
    const dueBefore = active.body.nextDueDate as string;
    await seenByOwnersOnly((id) => `/v1/client-services/${id}`, serviceId);

    // Billing's clock moves 20 days: within the 14-day lead, the renewal invoice is issued (once).
    const run1 = await call('POST', '/v1/billing-runs', admin, { advanceDays: 20 });
    expect(run1.status).toBe(200);
    expect(run1.body.clockOffsetDays).toBe(20);
    const renewalOf = (items: any[]) =>
      items.filter(
        (i) => i.id !== order.body.invoiceId && i.lines.some((l: any) => l.serviceId === serviceId),
      );
    const mine = renewalOf((await call('GET', '/v1/invoices', client)).body.items);
    expect(mine).toHaveLength(1);
    const renewal = mine[0];
    expect([renewal.status, renewal.dueDate, renewal.lines[0].periodStart]).toEqual([
      'unpaid',
      dueBefore,
      dueBefore,
    ]);
    await seenByOwnersOnly((id) => `/v1/invoices/${id}`, renewal.id);
    expect((await call('POST', '/v1/billing-runs', admin, {})).body.renewals).toBe(0);

    // The same run billed Acme the platform's wholesale price of the period its client paid (Starter: 250
    // a month), on Acme's consolidated invoice in the platform's series: Acme and the admin see it, another
    // reseller gets what a missing id gets, and no client may ask for wholesale invoices at all.
    const wholesale = await call('GET', '/v1/wholesale/invoices', reseller);
    expect(wholesale.status).toBe(200);
    const charged = wholesale.body.items.flatMap((i: any) =>
      i.charges.filter((c: any) => c.serviceId === serviceId).map((c: any) => ({ ...c, invoiceId: i.id })),
    );
    expect(charged.map((c: any) => [c.periodStart, c.periodEnd, c.wholesalePrice])).toEqual([
      [active.body.registrationDate, dueBefore, 250],
    ]);
    const bill = charged[0].invoiceId as string;
    expect((await call('GET', `/v1/wholesale/invoices/${bill}`, admin)).status).toBe(200);
    const foreignBill = await call('GET', `/v1/wholesale/invoices/${bill}`, betaStaff);
    const missingBill = await call('GET', `/v1/wholesale/invoices/${missingId}`, betaStaff);
    expect([foreignBill.status, foreignBill.body.code]).toEqual([missingBill.status, missingBill.body.code]);
    expect(foreignBill.status).toBe(404);
    for (const token of [client, betaClient, platformClient])
      expect((await call('GET', `/v1/wholesale/invoices/${bill}`, token)).status).toBe(403);
    const clientSees = JSON.stringify([
      (await call('GET', '/v1/invoices', client)).body,
      (await call('GET', `/v1/client-services/${serviceId}`, client)).body,
    ]);
    expect(clientSees).not.toMatch(/wholesale/i);

    // Every other client pays its renewal (nothing else of the platform's goes overdue), …
    const open = (await call('GET', '/v1/invoices', admin)).body.items.filter(
      (i: any) => i.status === 'unpaid' && i.orderId === null && i.id !== renewal.id,
    );
    for (const i of open) {
      const p = await call(
        'POST',
        `/v1/invoices/${i.id}/payments?tenantId=${i.tenantId}`,
        admin,
        { amount: i.balance },
        `journey-others-${i.id}`,
      );
      expect([i.number, p.status]).toEqual([i.number, 201]);
    }
    // … ours does not: 20 more days and it is overdue past the 5 days' grace → suspended on the panel.
    const run2 = await call('POST', '/v1/billing-runs', admin, { advanceDays: 20 });
    expect(run2.body.dunning.suspended).toBe(1);
    const overdue = await seenByOwnersOnly((id) => `/v1/invoices/${id}`, renewal.id);
    expect(overdue.client.status).toBe('unpaid');
    expect(overdue.client.dueDate < run2.body.asOf).toBe(true);
    await until(
      async () => account()?.suspended,
      (v) => v === 1,
    );
    expect(account()?.suspended).toBe(1);
    const suspended = await seenByOwnersOnly((id) => `/v1/client-services/${id}`, serviceId);
    expect([suspended.client.status, suspended.reseller.status, suspended.admin.status]).toEqual([
      'suspended',
      'suspended',
      'suspended',
    ]);

    // The reseller records the payment: the due date moves one cycle, the panel unsuspends the account.
    const paidRenewal = await call(
      'POST',
      `/v1/invoices/${renewal.id}/payments`,
      reseller,
      { amount: renewal.total },
      'journey-life-pay-2',
    );
    expect(paidRenewal.body.invoice.status).toBe('paid');
    await until(
      async () => account()?.suspended,
      (v) => v === 0,
    );
    const back = await until(
      () => call('GET', `/v1/client-services/${serviceId}`, client),
      (r) => r.body.status === 'active',
    );
    expect(back.body.status).toBe('active');
    expect(back.body.nextDueDate > dueBefore).toBe(true);
    const after = await seenByOwnersOnly((id) => `/v1/client-services/${id}`, serviceId);
    expect(after.reseller.status).toBe('active');
    // The panel saw each call once, even after the jobs ran again.
    await call('POST', '/v1/billing-runs', admin, {});
    await new Promise((r) => setTimeout(r, 1_000));
    expect([delta('createacct'), delta('suspendacct'), delta('unsuspendacct')]).toEqual([1, 1, 1]);
  });
});
