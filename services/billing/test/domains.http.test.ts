import { eventRegistry } from '@geminis/contracts';
import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { client, countRows, newClient, outboxEvents, type Client, type Harness } from './support/billing';
import { jobsOf, openShop, startLifecycle, testClock } from './support/lifecycle';
import { type Shop } from './support/billing';

const registrant = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  email: 'ada@example.com',
  phone: '+351.912345678',
  address1: 'Rua Augusta 1',
  city: 'Lisboa',
  postcode: '1100-048',
  country: 'PT',
};

/** Domains ordered, paid, registered at the registrar and renewed, as billing sees them. */
describe('domain orders', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    shop = await openShop(h);
    const priced = await client(h.catalogUrl).put(
      '/v1/domain-pricing/.com',
      {
        prices: [
          { currency: 'EUR', years: 1, register: 1099, renew: 1299, transfer: 899 },
          { currency: 'EUR', years: 2, register: 2000, renew: 2400, transfer: 1800 },
          { currency: 'EUR', years: 5, register: 5000, renew: 6000, transfer: 4500 },
        ],
      },
      shop.resellerToken,
    );
    expect(priced.status).toBe(200);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  const domainsOnly = (name: string, extra: object = {}) => ({
    domains: [{ domain: name, action: 'register', years: 2, registrant, ...extra }],
  });

  /** A client's order of hosting, a 2-year registration and a 1-year transfer; paid in full. */
  async function paidOrder() {
    const c = await newClient(h, shop.tenantId);
    const tag = newId().slice(-8);
    const order = await api.post(
      '/v1/orders',
      {
        items: [{ productId: shop.productId, cycle: 'monthly', domain: `site-${tag}.com` }],
        domains: [
          {
            domain: `New-${tag}.COM`,
            action: 'register',
            years: 2,
            nameservers: ['ns1.example.net', 'ns2.example.net'],
            privacy: true,
            registrant,
          },
          { domain: `old-${tag}.com`, action: 'transfer', eppCode: 'Xy9#epp-CODE', registrant },
        ],
      },
      c.token,
    );
    expect(order.status).toBe(201);
    return { c, tag, order: order.body };
  }

  it('prices registrations and transfers with catalog and opens a domain service for each', async () => {
    const { c, tag, order } = await paidOrder();
    const invoice = (await api.get(`/v1/invoices/${order.invoiceId}`, c.token)).body;
    // hosting 999 + setup 500, registration 2 years 2000, transfer 1 year 899
    expect(invoice.total).toBe(999 + 500 + 2000 + 899);
    expect(invoice.lines.map((l: { amount: number }) => l.amount)).toEqual([1499, 2000, 899]);
    const services = await Promise.all(
      (order.serviceIds as string[]).map(
        async (id) => (await api.get(`/v1/client-services/${id}`, c.token)).body,
      ),
    );
    const registration = services.find((s) => s.domain === `new-${tag}.com`);
    expect(registration).toMatchObject({
      productId: null,
      productType: 'domain',
      module: 'registrar',
      cycle: 'biennially',
      recurringAmount: 2400, // catalog's renewal price for the same term, not the registration price
      registrationDate: '2026-03-01',
      nextDueDate: '2028-03-01',
      status: 'pending',
      domainRegistration: { action: 'register', years: 2, registrar: null, expiresAt: null },
    });
    const transfer = services.find((s) => s.domain === `old-${tag}.com`);
    expect(transfer).toMatchObject({ recurringAmount: 1299, nextDueDate: '2027-03-01', cycle: 'annually' });
    // the EPP code is sealed at rest, never stored as typed
    const [stored] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      rows<{ epp_code_sealed: string }>(
        tx,
        sql`select epp_code_sealed from domain_registrations where service_id = ${transfer.id}`,
      ),
    );
    expect(stored!.epp_code_sealed).toBeTruthy();
    expect(stored!.epp_code_sealed).not.toContain('epp-CODE');
    // catalog counts products from order.placed: domains are not products
    const placed = (await outboxEvents(h, shop.tenantId, 'billing.order.placed.v1')).find(
      (p) => p.orderId === order.id,
    );
    expect(placed.items).toEqual([
      { productId: shop.productId, productName: 'Starter', cycle: 'monthly', quantity: 1 },
    ]);
  });

  it('asks the registrar to register and to transfer once the order is paid, hosting to provisioning', async () => {
    const { c, tag, order } = await paidOrder();
    const paid = await api.post(
      `/v1/invoices/${order.invoiceId}/payments`,
      { amount: 999 + 500 + 2000 + 899 },
      shop.resellerToken,
    );
    expect(paid.body.invoice.status).toBe('paid');
    const ofOrder = (xs: any[]) => xs.filter((x) => x.orderId === order.id);
    const register = ofOrder(await outboxEvents(h, shop.tenantId, 'billing.domain.register_requested.v1'));
    const transfer = ofOrder(await outboxEvents(h, shop.tenantId, 'billing.domain.transfer_requested.v1'));
    const hosting = ofOrder(await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1'));
    expect(register).toEqual([
      {
        domainServiceId: expect.any(String),
        orderId: order.id,
        invoiceId: order.invoiceId,
        client: { clientId: c.id, email: expect.any(String), name: expect.any(String) },
        domain: `new-${tag}.com`,
        tld: '.com',
        years: 2,
        nameservers: ['ns1.example.net', 'ns2.example.net'],
        privacy: true,
        registrant,
      },
    ]);
    expect(transfer).toEqual([
      expect.objectContaining({
        domain: `old-${tag}.com`,
        years: 1,
        eppCode: 'Xy9#epp-CODE',
        privacy: false,
      }),
    ]);
    expect(hosting).toEqual([expect.objectContaining({ domain: `site-${tag}.com`, module: 'cpanel' })]);
    for (const e of [...register, ...transfer]) {
      const type =
        'eppCode' in e ? 'billing.domain.transfer_requested.v1' : 'billing.domain.register_requested.v1';
      expect(eventRegistry.get(type)!.schema.safeParse(e).success).toBe(true);
    }
    // the EPP code is forgotten once the request is in the outbox
    const [left] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from domain_registrations
             where service_id = ${transfer[0].domainServiceId} and epp_code_sealed is not null`,
      ),
    );
    expect(left!.n).toBe(0);
    const service = (await api.get(`/v1/client-services/${register[0].domainServiceId}`, c.token)).body;
    expect(service.status).toBe('provisioning');
  });

  /** A registered domain (provisioning answered), active, due when the registrar says it expires. */
  async function registeredDomain() {
    const c = await newClient(h, shop.tenantId);
    const name = `d-${newId().slice(-10)}.com`;
    const order = await api.post('/v1/orders', domainsOnly(name), c.token);
    expect(order.status).toBe(201);
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: 2000 }, shop.resellerToken);
    const serviceId = order.body.serviceIds[0] as string;
    const result = (type: string, data: object, id?: string) =>
      h.deliver(
        `provisioning.domain.${type}.v1`,
        shop.tenantId,
        { domainServiceId: serviceId, domain: name, ...data },
        id,
      );
    const service = async () => (await api.get(`/v1/client-services/${serviceId}`, c.token)).body;
    return { c, name, serviceId, result, service };
  }

  it('activates the domain when registered and follows the registrar’s expiry for its due date, once', async () => {
    const d = await registeredDomain();
    const eventId = newId();
    const registered = { expiresAt: '2028-03-02T23:59:59Z', registrar: 'resellerclub' };
    expect(await d.result('registered', registered, eventId)).toBe('ack');
    expect(await d.service()).toMatchObject({
      status: 'active',
      nextDueDate: '2028-03-02',
      domainRegistration: { registrar: 'resellerclub', expiresAt: '2028-03-02T23:59:59.000Z' },
    });
    // the same delivery again changes nothing (inbox); a sync that finds another expiry moves the due date
    expect(await d.result('registered', registered, eventId)).toBe('ack');
    expect(
      await h.deliver('provisioning.domain.expiry_changed.v1', shop.tenantId, {
        domain: d.name,
        expiresAt: '2028-04-10T00:00:00Z',
        previousExpiresAt: '2028-03-02T23:59:59Z',
      }),
    ).toBe('ack');
    expect((await d.service()).nextDueDate).toBe('2028-04-10');
  });

  it('renews a domain: renewal invoice at the renewal price for its term, renew_requested once paid', async () => {
    const d = await registeredDomain();
    await d.result('registered', { expiresAt: '2028-03-01T00:00:00Z', registrar: 'resellerclub' });
    clock.set('2028-02-20'); // within the default 14 lead days
    expect(await jobsOf(h).renew()).toBeGreaterThanOrEqual(1);
    const invoices = (await api.get('/v1/invoices', d.c.token)).body.items as any[];
    const renewal = invoices.find((i) => i.status === 'unpaid');
    expect(renewal).toMatchObject({
      total: 2400,
      dueDate: '2028-03-01',
      lines: [
        expect.objectContaining({
          serviceId: d.serviceId,
          periodStart: '2028-03-01',
          periodEnd: '2030-03-01',
        }),
      ],
    });
    expect(await jobsOf(h).renew()).toBe(0); // the period is invoiced once
    const paid = await api.post(`/v1/invoices/${renewal.id}/payments`, { amount: 2400 }, shop.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    const renew = (await outboxEvents(h, shop.tenantId, 'billing.domain.renew_requested.v1')).filter(
      (e) => e.domainServiceId === d.serviceId,
    );
    expect(renew).toEqual([
      { domainServiceId: d.serviceId, invoiceId: renewal.id, clientId: d.c.id, domain: d.name, years: 2 },
    ]);
    // the registrar's new expiry is the next due date
    expect(await d.result('renewed', { expiresAt: '2030-03-01T00:00:00Z', registrar: 'resellerclub' })).toBe(
      'ack',
    );
    expect((await d.service()).nextDueDate).toBe('2030-03-01');
  });

  it('never suspends a domain for non-payment (it lapses at the registrar instead)', async () => {
    const d = await registeredDomain();
    await d.result('registered', { expiresAt: '2028-03-01T00:00:00Z', registrar: 'resellerclub' });
    clock.set('2028-02-20');
    await jobsOf(h).renew();
    clock.set('2028-03-20');
    await jobsOf(h).dun();
    expect((await d.service()).status).toBe('active');
  });

  it('refuses panel actions on a domain (suspend, terminate, cancel now) but lets it lapse at the end of its period', async () => {
    const d = await registeredDomain();
    await d.result('registered', { expiresAt: '2028-03-01T00:00:00Z', registrar: 'resellerclub' });
    for (const action of ['suspend', 'terminate']) {
      const res = await api.post(
        `/v1/client-services/${d.serviceId}/${action}`,
        { reason: 'abuse' },
        shop.resellerToken,
      );
      expect([action, res.status]).toEqual([action, 409]);
    }
    const now = await api.post(
      `/v1/client-services/${d.serviceId}/cancel`,
      { when: 'immediate', reason: 'x' },
      d.c.token,
    );
    expect(now.status).toBe(409);
    const later = await api.post(
      `/v1/client-services/${d.serviceId}/cancel`,
      { when: 'end_of_period', reason: 'x' },
      d.c.token,
    );
    expect(later.status).toBe(200);
    expect(await outboxEvents(h, shop.tenantId, 'billing.service.suspend_requested.v1')).not.toContainEqual(
      expect.objectContaining({ serviceId: d.serviceId }),
    );
  });

  it('shows a failed registration to staff, and dead-letters a result for a domain service it does not have', async () => {
    const d = await registeredDomain();
    expect(await d.result('registration_failed', { reason: 'registry: domain not available' })).toBe('ack');
    expect(await d.service()).toMatchObject({
      status: 'provision_failed',
      lastError: 'registry: domain not available',
    });
    expect(
      await h.deliver('provisioning.domain.registered.v1', newId(), {
        domainServiceId: d.serviceId,
        domain: d.name,
        expiresAt: '2028-03-01T00:00:00Z',
        registrar: 'resellerclub',
      }),
    ).toBe('dead-letter');
    expect((await d.service()).status).toBe('provision_failed');
  });

  it('announces an order of domains only with billing.order.placed.v1 once, naming its domains', async () => {
    const c = await newClient(h, shop.tenantId);
    const name = `only-${newId().slice(-8)}.com`;
    const order = await api.post('/v1/orders', domainsOnly(name, { years: 5 }), c.token);
    expect(order.status).toBe(201);
    const placed = (await outboxEvents(h, shop.tenantId, 'billing.order.placed.v1')).filter(
      (p) => p.orderId === order.body.id,
    );
    expect(placed).toEqual([
      {
        orderId: order.body.id,
        clientId: c.id,
        currency: 'EUR',
        total: 5000,
        items: [],
        domains: [{ domain: name, action: 'register', years: 5 }],
      },
    ]);
    // the envelope is what the published contract accepts (catalog validates it)
    expect(eventRegistry.get('billing.order.placed.v1')!.schema.safeParse(placed[0]).success).toBe(true);
  });

  it('names a 5-year domain’s renewal line by its term in years', async () => {
    const c = await newClient(h, shop.tenantId);
    const name = `five-${newId().slice(-8)}.com`;
    const order = await api.post('/v1/orders', domainsOnly(name, { years: 5 }), c.token);
    expect(order.status).toBe(201);
    const first = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body;
    expect(first.lines[0].description).toContain('5 years');
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: 5000 }, shop.resellerToken);
    const serviceId = order.body.serviceIds[0] as string;
    expect(
      await h.deliver('provisioning.domain.registered.v1', shop.tenantId, {
        domainServiceId: serviceId,
        domain: name,
        expiresAt: '2031-03-01T00:00:00Z',
        registrar: 'resellerclub',
      }),
    ).toBe('ack');
    clock.set('2031-02-20');
    await jobsOf(h).renew();
    const renewal = ((await api.get('/v1/invoices', c.token)).body.items as any[]).find(
      (i) => i.status === 'unpaid',
    );
    expect(renewal.total).toBe(6000);
    expect(renewal.lines[0].description).toBe(`${name} renewal, 5 years (2031-03-01 – 2036-03-01)`);
  });

  it('refuses bad domain lines naming the field, writing nothing', async () => {
    const c = await newClient(h, shop.tenantId);
    const before = await countRows(h, 'orders', shop.tenantId);
    const cases: [object, number, string][] = [
      [domainsOnly('a.com', { action: 'transfer' }), 400, 'domains.0.eppCode'],
      [domainsOnly('a.com', { eppCode: 'X' }), 400, 'domains.0.eppCode'],
      [domainsOnly('a.com', { years: 11 }), 400, 'domains.0.years'],
      [
        domainsOnly('a.com', { registrant: { ...registrant, country: 'Portugal' } }),
        400,
        'domains.0.registrant.country',
      ],
      [
        domainsOnly('a.com', { nameservers: ['ns1.example.net', 'ns1.example.net'] }),
        400,
        'domains.0.nameservers',
      ],
      [{ items: [], domains: [] }, 400, 'items'],
      [domainsOnly('a.org'), 422, 'domains.0.domain'], // a TLD this shop does not sell
      [domainsOnly('a.com', { years: 3 }), 422, 'domains.0.years'], // .com not sold for 3 years
    ];
    for (const [body, status, field] of cases) {
      const res = await api.post('/v1/orders', body, c.token);
      expect({ field, status: res.status }).toEqual({ field, status });
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    expect(await countRows(h, 'orders', shop.tenantId)).toBe(before);
  });

  it('answers another tenant’s client about a domain service exactly like a missing one', async () => {
    const d = await registeredDomain();
    const other = await openShop(h);
    const stranger = await newClient(h, other.tenantId);
    const theirs = await api.get(`/v1/client-services/${d.serviceId}`, stranger.token);
    const missing = await api.get(`/v1/client-services/${newId()}`, stranger.token);
    expect(theirs.status).toBe(404);
    expect(theirs.body.code).toBe(missing.body.code);
    const sibling = await newClient(h, shop.tenantId);
    expect((await api.get(`/v1/client-services/${d.serviceId}`, sibling.token)).status).toBe(404);
  });
});
