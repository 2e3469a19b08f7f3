import { allTenants, newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { seedCatalogDemo, type CatalogDemo } from '../../catalog/src/service';
import { client, newClient, resellerProfile, type Client, type Harness } from './support/billing';
import { startLifecycle, testClock } from './support/lifecycle';

/**
 * A change of package between resold platform products and the reseller's own (white-label: the product
 * id a client sees is the reseller's alias of the platform's): the service names the platform's product of
 * its new package (null for an own product), and the reseller's wholesale for it is the new product's —
 * not its order line's, which no longer names the service's product.
 */
describe('change of package of a resold service', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  let A: string;
  /** What A's clients see for the platform's Starter and Pro (the reseller's aliases). */
  const alias = { starter: '', pro: '' };

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    A = newId();
    expect(await h.deliverToCatalog('identity.reseller.created.v1', A, resellerProfile(A))).toBe('ack');
    demo = await seedCatalogDemo(h.catalogDb, { resellerTenantId: A });
    const shop = await client(h.catalogUrl).get(`/v1/storefront/${A}/products?currency=EUR`);
    const products = shop.body.groups.flatMap((g: any) => g.products);
    alias.starter = products.find((p: any) => p.name === 'Starter').id;
    alias.pro = products.find((p: any) => p.name === 'Pro').id;
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** A client's monthly service of `productId`, ordered today, paid and provisioned: active. */
  async function activeService(productId: string) {
    const c = await newClient(h, A);
    const order = await api.post('/v1/orders', { items: [{ productId, cycle: 'monthly' }] }, c.token);
    expect(order.status).toBe(201);
    const total = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body.total;
    const reseller = h.issuer.tokenFor('reseller', A);
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: total }, reseller);
    const serviceId = order.body.serviceIds[0] as string;
    expect(
      await h.deliver('provisioning.service.provisioned.v1', A, {
        serviceId,
        clientId: c.id,
        module: 'cpanel',
        username: `u${serviceId.slice(-6)}`,
      }),
    ).toBe('ack');
    return { serviceId, token: c.token };
  }

  /** The client changes its service's package; an upgrade's invoice is paid, so the change applies. */
  async function changeTo(s: { serviceId: string; token: string }, productId: string) {
    const res = await api.post(`/v1/client-services/${s.serviceId}/change-package`, { productId }, s.token);
    expect(res.status).toBe(201);
    if (res.body.invoiceId) {
      const total = (await api.get(`/v1/invoices/${res.body.invoiceId}`, s.token)).body.total;
      const paid = await api.post(
        `/v1/invoices/${res.body.invoiceId}/payments`,
        { amount: total },
        h.issuer.tokenFor('reseller', A),
      );
      expect(paid.body.invoice.status).toBe('paid');
    }
  }

  const serviceRow = async (serviceId: string) => {
    const [r] = await h.db.withTenant(tenantScope(A), (tx) =>
      rows<{ product_id: string; platform_product_id: string | null }>(
        tx,
        sql`select product_id, platform_product_id from client_services where id = ${serviceId}`,
      ),
    );
    return r!;
  };
  const wholesaleCharges = (serviceId: string, kind = 'charge') =>
    h.db.withTenant(allTenants, (tx) =>
      rows<{ product_id: string; price: string; setup_fee: string }>(
        tx,
        sql`select product_id, price::text, setup_fee::text from wholesale_charges
             where service_id = ${serviceId} and kind = ${kind}`,
      ),
    );
  const runWholesale = () => h.billing.built.services.wholesale.run();

  it('names the platform’s new product after a change between resold products, and owes its wholesale', async () => {
    const s = await activeService(alias.pro);
    expect(await serviceRow(s.serviceId)).toEqual({
      product_id: alias.pro,
      platform_product_id: demo.platform.pro,
    });
    await changeTo(s, alias.starter); // a downgrade: applied at once
    expect(await serviceRow(s.serviceId)).toEqual({
      product_id: alias.starter,
      platform_product_id: demo.platform.starter,
    });
    await runWholesale();
    // The platform's Starter at its wholesale (250/month), without Pro's order line setup.
    expect(await wholesaleCharges(s.serviceId)).toEqual([
      { product_id: demo.platform.starter, price: '250', setup_fee: '0' },
    ]);
  });

  it('names the platform’s product after a change from the reseller’s own product to a resold one', async () => {
    const s = await activeService(demo.reseller.custom);
    expect((await serviceRow(s.serviceId)).platform_product_id).toBeNull();
    await changeTo(s, alias.starter);
    expect(await serviceRow(s.serviceId)).toEqual({
      product_id: alias.starter,
      platform_product_id: demo.platform.starter,
    });
    await runWholesale();
    // The period (never charged: the reseller's own product) claimed at 0 when the change applied, and the
    // change owing Starter's unused days — all 31 of them, changed on the period's first day (0040).
    expect(await wholesaleCharges(s.serviceId)).toEqual([
      { product_id: demo.platform.starter, price: '0', setup_fee: '0' },
    ]);
    expect(await wholesaleCharges(s.serviceId, 'change')).toEqual([
      { product_id: demo.platform.starter, price: '250', setup_fee: '0' },
    ]);
  });

  it('names no platform product after a change to the reseller’s own product, and owes nothing', async () => {
    const s = await activeService(alias.starter);
    await changeTo(s, demo.reseller.custom); // an upgrade, paid
    expect(await serviceRow(s.serviceId)).toEqual({
      product_id: demo.reseller.custom,
      platform_product_id: null,
    });
    await runWholesale();
    expect(await wholesaleCharges(s.serviceId)).toEqual([]);
  });
});
