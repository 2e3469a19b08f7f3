import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import {
  client,
  newClient,
  outboxEvents,
  PLATFORM_TENANT_ID,
  resellerProfile,
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
import { domainWholesale, resoldAt } from './support/wholesale';

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

/**
 * The platform bills a reseller for resold domains (the wholesale catalog put on the order's domain line:
 * the platform's TLD price for the years bought, each term), records the platform's product of a resold
 * service (not the reseller's alias of it), and addresses its wholesale invoices to the reseller's contact
 * address from identity's events.
 */
describe('the reseller wholesale economy: domains, platform products, the reseller’s address', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let a: Shop;
  const run = () => h.billing.built.services.wholesale.run();
  const charges = async () =>
    ((await api.get('/v1/wholesale/invoices', a.resellerToken)).body.items as any[]).flatMap(
      (i) => i.charges,
    );
  const platformClient = async (id: string) =>
    (
      await h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
        rows<{ email: string; name: string }>(tx, sql`select email, name from clients where id = ${id}`),
      )
    )[0];

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    a = await openShop(h);
    const priced = await client(h.catalogUrl).put(
      '/v1/domain-pricing/.com',
      {
        prices: [
          { currency: 'EUR', years: 1, register: 1099, renew: 1299, transfer: 899 },
          { currency: 'EUR', years: 2, register: 2000, renew: 2400, transfer: 1800 },
        ],
      },
      a.resellerToken,
    );
    expect(priced.status).toBe(200);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  it('projects the reseller’s contact address from identity, and keeps it when an event has none', async () => {
    const profile = { ...resellerProfile(a.tenantId), brandName: 'Acme Hosting' };
    expect(await h.deliver('identity.reseller.created.v1', a.tenantId, profile)).toBe('ack');
    expect((await platformClient(a.tenantId))!.email).toBe(`reseller-${a.tenantId}@resellers.invalid`);
    await h.deliver('identity.reseller.updated.v1', a.tenantId, {
      ...profile,
      contactEmail: 'owner@acme.example',
    });
    await h.deliver('identity.reseller.updated.v1', a.tenantId, { ...profile, brandName: 'Acme Web' });
    expect(await platformClient(a.tenantId)).toEqual({ email: 'owner@acme.example', name: 'Acme Web' });
  });

  it('charges the platform’s product a resold service resells, and names the reseller’s address on the invoice', async () => {
    const s = await activeService(h, a);
    const platformProductId = newId();
    await resoldAt(h, a, s.serviceId, 600, { platformProductId });
    const other = await activeService(h, a); // a line without platformProductId: the service's product
    await resoldAt(h, a, other.serviceId, 500);
    expect(await run()).toMatchObject({ charged: 2, invoiced: 1 });
    const got = await charges();
    expect(got.find((c) => c.serviceId === s.serviceId).productId).toBe(platformProductId);
    expect(got.find((c) => c.serviceId === other.serviceId).productId).toBe(a.productId);
    const [invoice] = (await api.get('/v1/wholesale/invoices', a.resellerToken)).body.items;
    const [buyer] = await h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
      rows<{ buyer: { email: string; name: string } }>(
        tx,
        sql`select buyer from invoices where id = ${invoice.id}`,
      ),
    );
    expect(buyer!.buyer).toEqual({ name: 'Acme Web', email: 'owner@acme.example' });
    // the issued event support mails goes to the reseller as the platform's client (support: wholesale-mails)
    const issued = await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.invoice.issued.v1');
    expect(issued.find((e) => e.invoiceId === invoice.id)).toMatchObject({
      clientId: a.tenantId,
      purpose: 'wholesale',
    });
    // and so is its reminder, a week after its due date (the platform's reminder days)
    clock.set('2026-03-15');
    await jobsOf(h).dun();
    const reminders = await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.invoice.reminder_due.v1');
    expect(reminders.filter((r) => r.invoiceId === invoice.id)).toEqual([
      expect.objectContaining({ clientId: a.tenantId, offsetDays: 7 }),
    ]);
    await api.post(
      `/v1/invoices/${invoice.id}/payments`,
      { amount: invoice.total },
      h.issuer.tokenFor('admin', newId()),
    );
  });

  it('charges a resold domain the wholesale on its line for the years bought, each term; a line without one is not charged', async () => {
    clock.set('2026-04-01');
    const c = await newClient(h, a.tenantId);
    const tag = newId().slice(-8);
    const [resold, own] = [`resold-${tag}.com`, `own-${tag}.com`];
    const order = await api.post(
      '/v1/orders',
      {
        items: [],
        domains: [
          { domain: resold, action: 'register', years: 2, registrant },
          { domain: own, action: 'register', years: 1, registrant },
        ],
      },
      c.token,
    );
    expect(order.status).toBe(201);
    await domainWholesale(h, a, order.body.id, resold, { price: 1500, setupFee: 0 });
    await domainWholesale(h, a, order.body.id, own, null);
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: 3099 }, a.resellerToken);
    const [resoldId, ownId] = order.body.serviceIds as string[];
    for (const [id, name, expiresAt] of [
      [resoldId, resold, '2028-04-01T00:00:00Z'],
      [ownId, own, '2027-04-01T00:00:00Z'],
    ] as const)
      expect(
        await h.deliver('provisioning.domain.registered.v1', a.tenantId, {
          domainServiceId: id,
          domain: name,
          expiresAt,
          registrar: 'resellerclub',
        }),
      ).toBe('ack');
    expect(await run()).toMatchObject({ charged: 1, invoiced: 1 });
    const domainCharges = async () =>
      (await charges())
        .filter((x) => [resoldId, ownId].includes(x.serviceId))
        .map((x) => [x.serviceId, x.productId, x.periodStart, x.periodEnd, x.wholesalePrice])
        .sort((x, y) => (x[2] < y[2] ? -1 : 1));
    expect(await domainCharges()).toEqual([[resoldId, null, '2026-04-01', '2028-04-01', 1500]]);
    expect(await run()).toMatchObject({ charged: 0, invoiced: 0 });

    // its renewal for the next two years, once its client paid it, is charged the same again
    clock.set('2028-03-20');
    await jobsOf(h).renew();
    const renewal = (await renewalInvoices(h, a.tenantId)).find((r) => r.service_id === resoldId)!;
    await api.post(`/v1/invoices/${renewal.id}/payments`, { amount: Number(renewal.total) }, a.resellerToken);
    clock.set('2028-04-01');
    await run();
    expect(await domainCharges()).toEqual([
      [resoldId, null, '2026-04-01', '2028-04-01', 1500],
      [resoldId, null, '2028-04-01', '2030-04-01', 1500],
    ]);
  });

  it('charges a resold domain’s renewal the platform’s renewal price for its term, not its registration price', async () => {
    // the platform prices .net: a cheap first year, a dearer renewal (what the reseller owes at each)
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    const platformPrices = [{ currency: 'EUR', years: 1, register: 800, renew: 1400, transfer: 900 }];
    expect(
      (await client(h.catalogUrl).put('/v1/domain-pricing/.net', { prices: platformPrices }, admin)).status,
    ).toBe(200);
    const retail = [{ currency: 'EUR', years: 1, register: 1099, renew: 1599, transfer: 1199 }];
    expect(
      (await client(h.catalogUrl).put('/v1/domain-pricing/.net', { prices: retail }, a.resellerToken)).status,
    ).toBe(200);
    clock.set('2026-05-01');
    const c = await newClient(h, a.tenantId);
    const name = `renews-${newId().slice(-8)}.net`;
    const order = await api.post(
      '/v1/orders',
      { items: [], domains: [{ domain: name, action: 'register', years: 1, registrant }] },
      c.token,
    );
    expect(order.status).toBe(201);
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: 1099 }, a.resellerToken);
    const [id] = order.body.serviceIds as string[];
    await h.deliver('provisioning.domain.registered.v1', a.tenantId, {
      domainServiceId: id,
      domain: name,
      expiresAt: '2027-05-01T00:00:00Z',
      registrar: 'resellerclub',
    });
    const charged = async () =>
      (await charges())
        .filter((x) => x.serviceId === id)
        .map((x) => [x.periodStart, x.periodEnd, x.wholesalePrice])
        .sort((x, y) => (x[0] < y[0] ? -1 : 1));
    await run();
    expect(await charged()).toEqual([['2026-05-01', '2027-05-01', 800]]); // the register price
    // the client renews at the reseller's renewal price; the reseller owes the platform's renewal price
    clock.set('2027-04-20');
    await jobsOf(h).renew();
    const renewal = (await renewalInvoices(h, a.tenantId)).find((r) => r.service_id === id)!;
    expect(Number(renewal.total)).toBe(1599);
    await api.post(`/v1/invoices/${renewal.id}/payments`, { amount: 1599 }, a.resellerToken);
    clock.set('2027-05-01');
    await run();
    expect(await charged()).toEqual([
      ['2026-05-01', '2027-05-01', 800],
      ['2027-05-01', '2028-05-01', 1400],
    ]);
  });
});
