import { newId } from '@geminis/service-kit';
import {
  client,
  countRows,
  PLATFORM_TENANT_ID,
  newClient,
  openShop,
  outboxEvents,
  promotion,
  startBilling,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Placing orders through the real catalog's quote, against a real PostgreSQL. */
describe('orders over HTTP', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;
  let other: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    [shop, other] = await Promise.all([openShop(h), openShop(h)]);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  const cart = (s: Shop, extra: object = {}) => ({
    items: [{ productId: s.productId, cycle: 'monthly', domain: 'Example.COM' }],
    ...extra,
  });

  it('prices an order with catalog, keeps the snapshot, issues a numbered invoice and a pending service', async () => {
    await promotion(h, shop, 'WELCOME');
    const c = await newClient(h, shop.tenantId);
    const res = await api.post('/v1/orders', cart(shop, { promoCode: 'welcome' }), c.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      tenantId: shop.tenantId,
      clientId: c.id,
      status: 'pending',
      currency: 'EUR',
      total: 999 + 500 - 100,
      promotion: { code: 'WELCOME' },
    });
    expect(res.body.snapshot.lines[0]).toMatchObject({ unitPrice: 999, setupFee: 500, discount: 100 });
    const invoice = await api.get(`/v1/invoices/${res.body.invoiceId}`, c.token);
    expect(invoice.body).toMatchObject({
      status: 'unpaid',
      subtotal: 1399,
      taxTotal: 0,
      total: 1399,
      balance: 1399,
      orderId: res.body.id,
    });
    expect(invoice.body.number).toMatch(/^INV-\d{4}-\d{6}$/);
    const [serviceId] = res.body.serviceIds;
    expect(invoice.body.lines[0]).toMatchObject({ amount: 1399, serviceId });
    const service = await api.get(`/v1/client-services/${serviceId}`, c.token);
    expect(service.body).toMatchObject({
      status: 'pending',
      module: 'cpanel',
      productType: 'shared_hosting',
      domain: 'example.com',
      cycle: 'monthly',
      recurringAmount: 999,
    });
    const placed = await outboxEvents(h, shop.tenantId, 'billing.order.placed.v1');
    expect(placed).toContainEqual(expect.objectContaining({ orderId: res.body.id, total: 1399 }));
    const issued = await outboxEvents(h, shop.tenantId, 'billing.invoice.issued.v1');
    expect(issued).toContainEqual(expect.objectContaining({ invoiceId: res.body.invoiceId, total: 1399 }));
  });

  it('pays an order of nothing (a 100% promotion with free setup) at once and requests provisioning', async () => {
    await promotion(h, shop, 'FREEBIE', { discount: { kind: 'percent', bps: 10_000 }, freeSetup: true });
    const c = await newClient(h, shop.tenantId);
    const res = await api.post('/v1/orders', cart(shop, { promoCode: 'FREEBIE' }), c.token);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ total: 0, status: 'active' });
    const invoice = await api.get(`/v1/invoices/${res.body.invoiceId}`, c.token);
    expect(invoice.body).toMatchObject({ total: 0, status: 'paid' });
    const requested = await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1');
    expect(requested).toContainEqual(
      expect.objectContaining({ orderId: res.body.id, domain: 'example.com' }),
    );
  });

  it('bills configurable options in the product line and add-ons on their own lines, paying for the same service', async () => {
    const catalogApi = client(h.catalogUrl);
    const eur = (price: number) => [{ currency: 'EUR', cycle: 'monthly', price }];
    const options = await catalogApi.put(
      `/v1/products/${shop.productId}/options`,
      {
        options: [
          {
            name: 'Extra IPs',
            kind: 'quantity',
            maxQuantity: 4,
            choices: [{ label: 'IP', prices: eur(200) }],
          },
          { name: 'Backups', kind: 'yesno', choices: [{ label: 'Yes', prices: eur(150) }] },
        ],
      },
      shop.resellerToken,
    );
    expect(options.status).toBe(200);
    const addons = await catalogApi.put(
      `/v1/products/${shop.productId}/addons`,
      { addons: [{ name: 'SSL', prices: eur(300) }] },
      shop.resellerToken,
    );
    expect(addons.status).toBe(200);
    const byName = (name: string) => options.body.items.find((o: { name: string }) => o.name === name);
    const [ips, backups] = [byName('Extra IPs'), byName('Backups')];
    const c = await newClient(h, shop.tenantId);
    const res = await api.post(
      '/v1/orders',
      {
        items: [
          {
            productId: shop.productId,
            cycle: 'monthly',
            options: [
              { optionId: ips.id, quantity: 2 },
              { optionId: backups.id, enabled: true },
            ],
            addons: [{ addonId: addons.body.items[0].id }],
          },
        ],
      },
      c.token,
    );
    expect(res.status).toBe(201);
    const invoice = (await api.get(`/v1/invoices/${res.body.invoiceId}`, c.token)).body;
    const [serviceId] = res.body.serviceIds;
    expect(invoice.lines).toEqual([
      expect.objectContaining({
        unitPrice: 999 + 2 * 200 + 150,
        setupFee: 500,
        amount: 1549 + 500,
        serviceId,
      }),
      expect.objectContaining({ description: 'SSL', unitPrice: 300, amount: 300, serviceId }),
    ]);
    expect(invoice.total).toBe(2049 + 300);
    const service = (await api.get(`/v1/client-services/${serviceId}`, c.token)).body;
    expect(service.recurringAmount).toBe(1549);
    expect(service.addons).toEqual([
      {
        addonId: addons.body.items[0].id,
        description: 'SSL',
        cycle: 'monthly',
        quantity: 1,
        recurringAmount: 300,
      },
    ]);
    // the options stay in the order's snapshot, as priced
    expect(res.body.snapshot.lines[0].details.options).toEqual([
      expect.objectContaining({ name: 'Extra IPs', quantity: 2 }),
      expect.objectContaining({ name: 'Backups', quantity: 1 }),
    ]);
    await catalogApi.put(`/v1/products/${shop.productId}/options`, { options: [] }, shop.resellerToken);
    await catalogApi.put(`/v1/products/${shop.productId}/addons`, { addons: [] }, shop.resellerToken);
  });

  it('lets staff order for a client of their tenant, never for a client of another', async () => {
    const c = await newClient(h, shop.tenantId);
    const mine = await api.post('/v1/orders', cart(shop, { clientId: c.id }), shop.resellerToken);
    expect(mine.status).toBe(201);
    expect(mine.body.clientId).toBe(c.id);
    const foreign = await newClient(h, other.tenantId);
    const res = await api.post('/v1/orders', cart(shop, { clientId: foreign.id }), shop.resellerToken);
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'clientId', message: expect.any(String) }]);
  });

  it("lets an admin order for a reseller's client by naming the tenant, and take its payment", async () => {
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    const c = await newClient(h, shop.tenantId);
    const platformSide = await api.post('/v1/orders', cart(shop, { clientId: c.id }), admin);
    expect(platformSide.status).toBe(422); // not a client of the platform tenant
    const res = await api.post('/v1/orders', cart(shop, { clientId: c.id, tenantId: shop.tenantId }), admin);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ tenantId: shop.tenantId, clientId: c.id });
    const paid = await api.post(`/v1/invoices/${res.body.invoiceId}/payments`, { amount: 1499 }, admin);
    expect(paid.status).toBe(201);
    expect(paid.body.invoice.status).toBe('paid');
    // a reseller naming a tenant is refused, it only ever orders in its own
    const named = await api.post(
      '/v1/orders',
      cart(shop, { clientId: c.id, tenantId: other.tenantId }),
      shop.resellerToken,
    );
    expect(named.status).toBe(400);
    expect(named.body.errors[0].field).toBe('tenantId');
  });

  describe('refuses bad input with a problem naming the field, writing nothing', () => {
    let c: { id: string; token: string };
    beforeAll(async () => {
      c = await newClient(h, other.tenantId);
    });
    const nothingWritten = async () => {
      expect(await countRows(h, 'orders', other.tenantId)).toBe(0);
      expect(await countRows(h, 'invoices', other.tenantId)).toBe(0);
      expect(await countRows(h, 'number_counters', other.tenantId)).toBe(0);
    };
    const cases: [string, () => object, number, string][] = [
      [
        'an unknown product',
        () => ({ items: [{ productId: newId(), cycle: 'monthly' }] }),
        400,
        'items.0.productId',
      ],
      [
        'a cycle not sold',
        () => ({ items: [{ productId: other.productId, cycle: 'biennially' }] }),
        422,
        'items.0.cycle',
      ],
      [
        'a negative quantity',
        () => ({ items: [{ productId: other.productId, cycle: 'monthly', quantity: -1 }] }),
        400,
        'items.0.quantity',
      ],
      [
        'a fractional quantity',
        () => ({ items: [{ productId: other.productId, cycle: 'monthly', quantity: 1.5 }] }),
        400,
        'items.0.quantity',
      ],
      ['an empty cart', () => ({ items: [] }), 400, 'items'],
      [
        'a bad domain',
        () => ({ items: [{ productId: other.productId, cycle: 'monthly', domain: 'no' }] }),
        400,
        'items.0.domain',
      ],
      ['an unknown field', () => ({ ...cart(other), total: 1 }), 400, '(root)'],
      ['a promotion of another tenant', () => cart(other, { promoCode: 'WELCOME' }), 422, 'promoCode'],
      ['a currency it is not sold in', () => cart(other, { currency: 'USD' }), 422, 'items.0.cycle'],
    ];
    it.each(cases)('%s', async (_what, body, status, field) => {
      const res = await api.post('/v1/orders', body(), c.token);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      await nothingWritten();
    });

    it('asks staff to name the client', async () => {
      const res = await api.post('/v1/orders', cart(other), other.resellerToken);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'clientId', message: expect.any(String) }]);
      await nothingWritten();
    });

    it('refuses a malformed Idempotency-Key', async () => {
      const res = await api.call('POST', '/v1/orders', {
        token: c.token,
        body: cart(other),
        headers: withKey('x'.repeat(256)),
      });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('Idempotency-Key');
      await nothingWritten();
    });
  });

  describe('Idempotency-Key', () => {
    it('answers the same key and body with the same order, placed once', async () => {
      const c = await newClient(h, shop.tenantId);
      const key = newId();
      const first = await api.call('POST', '/v1/orders', {
        token: c.token,
        body: cart(shop),
        headers: withKey(key),
      });
      const again = await api.call('POST', '/v1/orders', {
        token: c.token,
        body: cart(shop),
        headers: withKey(key),
      });
      expect(first.status).toBe(201);
      expect(again.status).toBe(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      const mine = await api.get('/v1/orders', c.token);
      expect(mine.body.items).toHaveLength(1);
    });

    it('refuses the same key with another body (422)', async () => {
      const c = await newClient(h, shop.tenantId);
      const key = newId();
      await api.call('POST', '/v1/orders', { token: c.token, body: cart(shop), headers: withKey(key) });
      const other = { items: [{ productId: shop.productId, cycle: 'annually' }] };
      const res = await api.call('POST', '/v1/orders', {
        token: c.token,
        body: other,
        headers: withKey(key),
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('billing.idempotency_key_reused');
      expect((await api.get('/v1/orders', c.token)).body.items).toHaveLength(1);
    });

    it('scopes keys per caller and tenant: another caller reusing a key gets its own order', async () => {
      const key = newId();
      const a = await newClient(h, shop.tenantId);
      const b = await newClient(h, other.tenantId);
      const ra = await api.call('POST', '/v1/orders', {
        token: a.token,
        body: cart(shop),
        headers: withKey(key),
      });
      const rb = await api.call('POST', '/v1/orders', {
        token: b.token,
        body: cart(other),
        headers: withKey(key),
      });
      expect(ra.status).toBe(201);
      expect(rb.status).toBe(201);
      expect(rb.body.id).not.toBe(ra.body.id);
      expect(rb.body.tenantId).toBe(other.tenantId);
    });

    it('places one order for concurrent requests with one key, all answered alike', async () => {
      const c = await newClient(h, shop.tenantId);
      const key = newId();
      const answers = await Promise.all(
        Array.from({ length: 8 }, () =>
          api.call('POST', '/v1/orders', { token: c.token, body: cart(shop), headers: withKey(key) }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(8).fill(201));
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
      expect((await api.get('/v1/orders', c.token)).body.items).toHaveLength(1);
    });
  });
});
