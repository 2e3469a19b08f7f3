import { allTenants, newId, rows, tenantScope } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { sql } from 'drizzle-orm';
import {
  client,
  newClient,
  openShop,
  outboxEvents,
  promotion,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** The flow over a real RabbitMQ: billing's events reach catalog, provisioning's results reach billing. */
describe('billing over RabbitMQ', () => {
  let vhost: TestVhost;
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    vhost = await createTestVhost('gm_billing');
    h = await startBilling({}, { amqpUrl: vhost.url });
    api = client(h.url);
    shop = await openShop(h);
  }, 90_000);
  // stopping drains the relay, the consumer and the scheduler: slow on a loaded machine, never a timing assertion
  afterAll(async () => {
    await h.stop();
    await vhost.drop();
  }, 30_000);

  /** Waits (bounded) for a condition the bus makes true. */
  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }

  it('counts a promoted order once at catalog, and moves the service from provisioning’s answer', async () => {
    const promotionId = await promotion(h, shop, 'RABBIT', { maxUses: 10 });
    const c = await newClient(h, shop.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }], promoCode: 'RABBIT' },
      c.token,
    );
    expect(order.status).toBe(201);
    const catalogSees = () =>
      h.catalogDb.withTenant(tenantScope(shop.tenantId), async (tx) => {
        const [o] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from placed_orders`);
        const [p] = await rows<{ redeemed: number }>(
          tx,
          sql`select redeemed from promotions where id = ${promotionId}`,
        );
        return { placed: o!.n, redeemed: p!.redeemed };
      });
    await eventually('catalog hears billing.order.placed.v1', async () => (await catalogSees()).placed === 1);
    expect(await catalogSees()).toEqual({ placed: 1, redeemed: 1 });

    const due = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body.total as number;
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: due }, shop.resellerToken);
    const [requested] = await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1');
    expect(requested.serviceId).toBe(order.body.serviceIds[0]);
    // the relay publishes it (confirmed by the broker): the outbox row is marked published
    await eventually('the provisioning request is published', async () => {
      const [r] = await h.db.withTenant(allTenants, (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from outbox where type = 'billing.service.provision_requested.v1'
              and published_at is not null`,
        ),
      );
      return r!.n === 1;
    });

    // provisioning answers over the broker
    const id = newId();
    const envelope = {
      id,
      type: 'provisioning.service.provisioned.v1',
      source: 'provisioning',
      time: new Date().toISOString(),
      tenantId: shop.tenantId,
      correlationId: id,
      data: { serviceId: requested.serviceId, clientId: c.id, module: 'cpanel', username: 'rabbit1' },
    };
    await h.bus.publish({ id, routingKey: envelope.type, body: Buffer.from(JSON.stringify(envelope)) });
    await eventually('billing applies provisioning.service.provisioned.v1', async () => {
      const s = await api.get(`/v1/client-services/${requested.serviceId}`, c.token);
      return s.body.status === 'active';
    });
    expect((await api.get(`/v1/client-services/${requested.serviceId}`, c.token)).body.username).toBe(
      'rabbit1',
    );
  });
  it('tells catalog of an order of domains only (no product in it), once', async () => {
    const priced = await client(h.catalogUrl).put(
      '/v1/domain-pricing/.com',
      { prices: [{ currency: 'EUR', years: 1, register: 1099, renew: 1299, transfer: 899 }] },
      shop.resellerToken,
    );
    expect(priced.status).toBe(200);
    const c = await newClient(h, shop.tenantId);
    const order = await api.post(
      '/v1/orders',
      {
        domains: [
          {
            domain: `only-${newId().slice(-8)}.com`,
            action: 'register',
            years: 1,
            registrant: {
              firstName: 'Ada',
              lastName: 'Lovelace',
              email: 'ada@example.com',
              phone: '+351.912345678',
              address1: 'Rua Augusta 1',
              city: 'Lisboa',
              postcode: '1100-048',
              country: 'PT',
            },
          },
        ],
      },
      c.token,
    );
    expect(order.status).toBe(201);
    const placed = () =>
      h.catalogDb.withTenant(tenantScope(shop.tenantId), async (tx) => {
        const [r] = await rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from placed_orders where order_id = ${order.body.id}`,
        );
        return r!.n;
      });
    await eventually('catalog records the domain order as placed', async () => (await placed()) === 1);
  });
});
