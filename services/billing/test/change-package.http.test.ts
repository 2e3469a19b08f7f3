import { eventRegistry } from '@geminis/contracts';
import { newId } from '@geminis/service-kit';
import {
  client,
  newClient,
  outboxEvents,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';
import {
  activeService,
  jobsOf,
  openShop,
  renewalInvoices,
  startLifecycle,
  testClock,
} from './support/lifecycle';

/** Upgrades and downgrades mid-cycle with proration, priced by the real catalog. */
describe('change of package', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let shop: Shop;
  let business: string;

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    shop = await openShop(h);
    const p = await client(h.catalogUrl).post(
      '/v1/products',
      {
        groupId: shop.groupId,
        name: 'Business',
        type: 'shared_hosting',
        module: 'cpanel',
        moduleConfig: { package: 'business' },
        prices: [{ currency: 'EUR', cycle: 'monthly', price: 1999 }],
      },
      shop.resellerToken,
    );
    expect(p.status).toBe(201);
    business = p.body.id;
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  it('invoices an upgrade’s prorated difference and changes the package once it is paid', async () => {
    const s = await activeService(h, shop); // Starter 999/month, 2026-03-01 → 2026-04-01 (31 days)
    clock.set('2026-03-11'); // 21 unused days
    const res = await api.post(
      `/v1/client-services/${s.serviceId}/change-package`,
      { productId: business },
      s.client.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: 'pending',
      fromProductId: shop.productId,
      toProductId: business,
      proration: {
        periodStart: '2026-03-01',
        periodEnd: '2026-04-01',
        changeDate: '2026-03-11',
        credit: 677, // 999 × 21/31 = 676.74 → 677 (half-up)
        charge: 1354, // 1999 × 21/31 = 1354.16 → 1354
        difference: 677,
      },
    });
    const invoice = (await api.get(`/v1/invoices/${res.body.invoiceId}`, s.client.token)).body;
    expect(invoice).toMatchObject({
      status: 'unpaid',
      reason: 'change_package', // its own reason, not staff's 'manual'
      total: 677,
      lines: [expect.objectContaining({ serviceId: s.serviceId })],
    });
    expect((await s.service()).productId).toBe(shop.productId); // nothing changes before payment
    // a change paid in part cannot be replaced
    await api.post(`/v1/invoices/${invoice.id}/payments`, { amount: 100 }, shop.resellerToken);
    const again = await api.post(
      `/v1/client-services/${s.serviceId}/change-package`,
      { productId: business },
      s.client.token,
    );
    expect(again.status).toBe(409);

    const paid = await api.post(`/v1/invoices/${invoice.id}/payments`, { amount: 577 }, shop.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    expect(await s.service()).toMatchObject({
      productId: business,
      productName: 'Business',
      recurringAmount: 1999,
    });
    const requested = (
      await outboxEvents(h, shop.tenantId, 'billing.service.change_package_requested.v1')
    ).filter((e) => e.serviceId === s.serviceId);
    expect(requested).toEqual([
      expect.objectContaining({
        changeId: res.body.changeId,
        invoiceId: invoice.id,
        toProductId: business,
        module: 'cpanel',
        moduleConfig: expect.objectContaining({ package: 'business' }),
      }),
    ]);
    expect(
      eventRegistry.get('billing.service.change_package_requested.v1')!.schema.safeParse(requested[0])
        .success,
    ).toBe(true);
    // the next renewal is at the new price
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    const renewal = (await renewalInvoices(h, shop.tenantId)).find((r) => r.service_id === s.serviceId);
    expect(renewal!.total).toBe('1999');
  });

  it('replaces a change still waiting for payment: its invoice is cancelled, only the new one applies', async () => {
    const s = await activeService(h, shop);
    clock.set('2026-03-11');
    const path = `/v1/client-services/${s.serviceId}/change-package`;
    const first = await api.post(path, { productId: business }, s.client.token);
    const second = await api.post(path, { productId: business }, s.client.token);
    expect(second.status).toBe(201);
    expect(second.body.invoiceId).not.toBe(first.body.invoiceId);
    expect((await api.get(`/v1/invoices/${first.body.invoiceId}`, s.client.token)).body.status).toBe(
      'cancelled',
    );
    const late = await api.post(
      `/v1/invoices/${first.body.invoiceId}/payments`,
      { amount: 677 },
      shop.resellerToken,
    );
    expect(late.status).toBe(409);
    expect((await s.service()).productId).toBe(shop.productId);
  });

  it('applies a downgrade at once and credits the difference to the client’s account', async () => {
    const s = await activeService(h, shop);
    clock.set('2026-03-11');
    const up = await api.post(
      `/v1/client-services/${s.serviceId}/change-package`,
      { productId: business },
      s.client.token,
    );
    await api.post(`/v1/invoices/${up.body.invoiceId}/payments`, { amount: 677 }, shop.resellerToken);
    clock.set('2026-03-21'); // 11 unused days: credit 1999 × 11/31 = 709.32 → 709, charge 999 × 11/31 = 354.48 → 354
    const down = await api.post(
      `/v1/client-services/${s.serviceId}/change-package`,
      { productId: shop.productId },
      shop.resellerToken,
    );
    expect(down.status).toBe(201);
    expect(down.body).toMatchObject({
      status: 'applied',
      invoiceId: null,
      proration: { credit: 709, charge: 354, difference: -355 },
    });
    expect(await s.service()).toMatchObject({ productId: shop.productId, recurringAmount: 999 });
    const credit = await api.get(`/v1/credit/${s.client.id}`, s.client.token);
    expect(credit.body.balances).toEqual([{ currency: 'EUR', amount: 355 }]);
  });

  it('answers a repeated request with the same Idempotency-Key once, and refuses the key for another body', async () => {
    const s = await activeService(h, shop);
    clock.set('2026-03-11');
    const key = newId();
    const path = `/v1/client-services/${s.serviceId}/change-package`;
    const first = await api.call('POST', path, {
      body: { productId: business },
      token: s.client.token,
      headers: withKey(key),
    });
    const second = await api.call('POST', path, {
      body: { productId: business },
      token: s.client.token,
      headers: withKey(key),
    });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    const other = await api.call('POST', path, {
      body: { productId: shop.productId },
      token: s.client.token,
      headers: withKey(key),
    });
    expect(other.status).toBe(422);
  });

  it('refuses bad input naming the field, and another tenant or a sibling gets the 404 of a missing service', async () => {
    const s = await activeService(h, shop);
    const path = `/v1/client-services/${s.serviceId}/change-package`;
    const bad = await api.post(path, { productId: 'starter' }, s.client.token);
    expect([bad.status, bad.body.errors?.[0]?.field]).toEqual([400, 'productId']);
    const same = await api.post(path, { productId: shop.productId }, s.client.token);
    expect([same.status, same.body.errors?.[0]?.field]).toEqual([400, 'productId']);
    const unknown = await api.post(path, { productId: newId() }, s.client.token);
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
    const missing = await api.post(
      `/v1/client-services/${newId()}/change-package`,
      { productId: business },
      s.client.token,
    );
    expect(missing.status).toBe(404);
    const other = await openShop(h);
    const stranger = await newClient(h, other.tenantId);
    const sibling = await newClient(h, shop.tenantId);
    for (const token of [stranger.token, sibling.token, other.resellerToken]) {
      const res = await api.post(path, { productId: business }, token);
      expect([res.status, res.body.code]).toEqual([404, missing.body.code]);
    }
    expect((await s.service()).productId).toBe(shop.productId);
  });
});
