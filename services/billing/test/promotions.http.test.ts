import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import {
  client,
  countRows,
  newClient,
  openShop,
  promotion,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Promotion uses reserved at checkout by catalog (never past the limit), released on cancel. */
describe('promotion reservations', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  const order = (token: string, code: string) =>
    api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }], promoCode: code },
      token,
    );

  /** Catalog's own numbers: the promotion's count, its counted uses, and the orders it heard of. */
  const catalogCounts = (promotionId: string) =>
    h.catalogDb.withTenant(tenantScope(shop.tenantId), async (tx) => {
      const [p] = await rows<{ redeemed: number }>(
        tx,
        sql`select redeemed from promotions where id = ${promotionId}`,
      );
      const [r] = await rows<{ counted: number; released: number }>(
        tx,
        sql`select count(*) filter (where status = 'counted')::int as counted,
                   count(*) filter (where status = 'released')::int as released
              from promotion_redemptions where promotion_id = ${promotionId}`,
      );
      const [o] = await rows<{ n: number }>(tx, sql`select count(*)::int as n from placed_orders`);
      return { redeemed: p!.redeemed, counted: r!.counted, released: r!.released, placedOrders: o!.n };
    });

  /** Waits (bounded) until catalog has consumed billing's order-placed events. */
  async function placedOrdersReach(promotionId: string, n: number) {
    for (let i = 0; i < 200; i += 1) {
      if ((await catalogCounts(promotionId)).placedOrders >= n) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('catalog never heard of the orders');
  }

  it('never lets concurrent checkouts exceed the limit, and refuses the rest with the reason', async () => {
    const id = await promotion(h, shop, 'RUSH', { maxUses: 3 });
    const clients = await Promise.all(Array.from({ length: 10 }, () => newClient(h, shop.tenantId)));
    const answers = await Promise.all(clients.map((c) => order(c.token, 'RUSH')));
    const placed = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status !== 201);
    expect(placed).toHaveLength(3);
    for (const r of refused) {
      expect(r.status).toBe(422);
      expect(r.body.code).toMatch(/^(billing|catalog)\.promotion_limit_reached$/);
      expect(r.body.errors[0].field).toBe('promoCode');
    }
    expect(await countRows(h, 'orders', shop.tenantId)).toBe(3);
    expect(await countRows(h, 'invoices', shop.tenantId)).toBe(3);
    // catalog counted each reservation once, and billing.order.placed.v1 did not count them again
    await placedOrdersReach(id, 3);
    expect(await catalogCounts(id)).toEqual({ redeemed: 3, counted: 3, released: 0, placedOrders: 3 });
  });

  it('releases the use when the order is cancelled, so another client can take it', async () => {
    const id = await promotion(h, shop, 'SOLO', { maxUses: 1 });
    const [a, b] = await Promise.all([newClient(h, shop.tenantId), newClient(h, shop.tenantId)]);
    const first = await order(a.token, 'SOLO');
    expect(first.status).toBe(201);
    expect((await order(b.token, 'SOLO')).status).toBe(422);
    const cancelled = await api.post(`/v1/orders/${first.body.id}/cancel`, {}, a.token);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await api.get(`/v1/invoices/${first.body.invoiceId}`, a.token)).body.status).toBe('cancelled');
    expect((await catalogCounts(id)).redeemed).toBe(0);
    const second = await order(b.token, 'SOLO');
    expect(second.status).toBe(201);
    expect((await catalogCounts(id)).redeemed).toBe(1);
    // a cancelled order cannot be cancelled again (and its use is not released twice)
    expect((await api.post(`/v1/orders/${first.body.id}/cancel`, {}, a.token)).status).toBe(409);
    expect((await catalogCounts(id)).redeemed).toBe(1);
  });

  it('gives back a use held for an order that never committed (a crash between reserve and commit)', async () => {
    const id = await promotion(h, shop, 'CRASH', { maxUses: 1 });
    const c = await newClient(h, shop.tenantId);
    const { holds, catalog } = h.billing.built.services;
    const orderId = newId();
    // what place() does before its transaction, then the process "dies"
    await holds.hold(shop.tenantId, orderId, id);
    expect((await catalog.reserve(shop.tenantId, orderId, { promotionId: id, clientId: c.id })).status).toBe(
      'reserved',
    );
    expect((await catalogCounts(id)).redeemed).toBe(1);
    expect(await holds.sweep()).toBe(0); // too recent: it may still be an order in flight
    await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      tx.execute(
        sql`update promotion_holds set created_at = now() - interval '10 minutes' where order_id = ${orderId}`,
      ),
    );
    expect(await holds.sweep()).toBe(1);
    expect((await catalogCounts(id)).redeemed).toBe(0);
    expect(await holds.sweep()).toBe(0);
    expect((await order(c.token, 'CRASH')).status).toBe(201);
  });

  it('keeps releasing a cancelled order’s use until catalog confirms', async () => {
    const id = await promotion(h, shop, 'RETRY', { maxUses: 1 });
    const c = await newClient(h, shop.tenantId);
    const placed = await order(c.token, 'RETRY');
    expect(placed.status).toBe(201);
    // the cancel committed but catalog never heard of it (the hold is left 'releasing')
    await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      tx.execute(sql`update promotion_holds set status = 'releasing' where order_id = ${placed.body.id}`),
    );
    expect((await catalogCounts(id)).redeemed).toBe(1);
    expect(await h.billing.built.services.holds.sweep()).toBe(1);
    expect((await catalogCounts(id)).redeemed).toBe(0);
  });

  it("cancels orders left unpaid past the tenant's limit and gives their promotion use back", async () => {
    const res = await api.patch('/v1/billing-settings', { orderExpiryDays: 2 }, shop.resellerToken);
    expect(res.body.orderExpiryDays).toBe(2);
    const id = await promotion(h, shop, 'EXPIRE', { maxUses: 5 });
    const [a, b] = await Promise.all([newClient(h, shop.tenantId), newClient(h, shop.tenantId)]);
    const unpaid = await order(a.token, 'EXPIRE');
    const paid = await order(b.token, 'EXPIRE');
    const due = (await api.get(`/v1/invoices/${paid.body.invoiceId}`, b.token)).body.total as number;
    await api.post(`/v1/invoices/${paid.body.invoiceId}/payments`, { amount: due }, shop.resellerToken);
    const age = (orderId: string, days: number) =>
      h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
        tx.execute(
          sql`update orders set created_at = now() - make_interval(days => ${days}) where id = ${orderId}`,
        ),
      );
    await age(unpaid.body.id, 1);
    expect(await h.billing.built.services.orders.expire()).toBe(0); // not old enough yet
    await age(unpaid.body.id, 3);
    await age(paid.body.id, 3);
    expect(await h.billing.built.services.orders.expire()).toBe(1);
    expect((await api.get(`/v1/orders/${unpaid.body.id}`, a.token)).body.status).toBe('cancelled');
    expect((await api.get(`/v1/invoices/${unpaid.body.invoiceId}`, a.token)).body.status).toBe('cancelled');
    expect((await api.get(`/v1/orders/${paid.body.id}`, b.token)).body.status).toBe('active');
    expect((await catalogCounts(id)).redeemed).toBe(1);
    expect(await h.billing.built.services.orders.expire()).toBe(0);
  });

  it('holds the per-client limit under concurrent orders of one client', async () => {
    const id = await promotion(h, shop, 'ONCE', { maxUsesPerClient: 1 });
    const c = await newClient(h, shop.tenantId);
    const answers = await Promise.all(Array.from({ length: 5 }, () => order(c.token, 'ONCE')));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(4);
    expect((await catalogCounts(id)).redeemed).toBe(1);
  });
});
