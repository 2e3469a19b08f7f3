import { allTenants, rows, tenantScope } from '@geminis/service-kit';
import { eventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import {
  client,
  newClient,
  openShop,
  promotion,
  startBilling,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/**
 * The money events: order accepted / cancelled, payment received / refunded, credit note issued — each in
 * the outbox in the transaction of its change, once per change, and each a valid event of its contract.
 */
describe('billing events', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** Every envelope of a type about one entity, read under the all-tenants scope (the outbox has RLS). */
  async function events(type: string, key: string, value: string) {
    const rs = await h.db.withTenant(allTenants, (tx) =>
      rows<{ tenant_id: string; envelope: { data: Record<string, unknown> } }>(
        tx,
        sql`select tenant_id, envelope from outbox where type = ${type} and envelope->'data'->>${key} = ${value}
            order by created_at, id`,
      ),
    );
    for (const r of rs) {
      const parsed = eventRegistry.parse(r.envelope);
      if (!parsed.ok) throw new Error(parsed.error);
    }
    return rs.map((r): Record<string, unknown> => ({ tenantId: r.tenant_id, ...r.envelope.data }));
  }

  const placeOrder = async (token: string) => {
    const res = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      token,
    );
    expect(res.status).toBe(201);
    return res.body as { id: string; invoiceId: string };
  };
  const pay = (invoiceId: string, amount: number, key?: string) =>
    api.call('POST', `/v1/invoices/${invoiceId}/payments`, {
      token: shop.resellerToken,
      body: { amount, reference: 'bank 42' },
      ...(key ? { headers: withKey(key) } : {}),
    });

  it('a partial then a full payment: payment.received each (once per payment), then order.accepted once', async () => {
    const c = await newClient(h, shop.tenantId);
    const order = await placeOrder(c.token);
    expect(await events('billing.invoice.issued.v1', 'invoiceId', order.invoiceId)).toEqual([
      expect.objectContaining({ reason: 'order', purpose: 'order', orderId: order.id }),
    ]);
    expect((await pay(order.invoiceId, 499, `part-${order.id}`)).status).toBe(201);
    // the same Idempotency-Key again: the same answer, no second payment and no second event
    expect((await pay(order.invoiceId, 499, `part-${order.id}`)).status).toBe(201);
    expect(await events('billing.order.accepted.v1', 'orderId', order.id)).toEqual([]);
    expect((await pay(order.invoiceId, 1000)).status).toBe(201);
    const received = await events('billing.payment.received.v1', 'invoiceId', order.invoiceId);
    expect(received.map((e) => [e.amount, e.balance, e.method, e.reference])).toEqual([
      [499, 1000, 'manual', 'bank 42'],
      [1000, 0, 'manual', 'bank 42'],
    ]);
    expect(received[0]).toMatchObject({ tenantId: shop.tenantId, clientId: c.id, currency: 'EUR' });
    expect(await events('billing.order.accepted.v1', 'orderId', order.id)).toEqual([
      expect.objectContaining({
        tenantId: shop.tenantId,
        clientId: c.id,
        invoiceId: order.invoiceId,
        currency: 'EUR',
        total: 1499,
      }),
    ]);
    // paying a paid invoice is refused: nothing more published
    expect((await pay(order.invoiceId, 1)).status).toBe(409);
    expect(await events('billing.payment.received.v1', 'invoiceId', order.invoiceId)).toHaveLength(2);
    expect(await events('billing.order.accepted.v1', 'orderId', order.id)).toHaveLength(1);
  });

  it('an order of nothing to pay (a 100% promotion) is accepted as it is placed: order.accepted once', async () => {
    await promotion(h, shop, 'ALLFREE', { discount: { kind: 'percent', bps: 10_000 } });
    const c = await newClient(h, shop.tenantId);
    const res = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'annually' }], promoCode: 'ALLFREE' }, // no setup fee
      c.token,
    );
    expect([res.status, res.body.status]).toEqual([201, 'active']);
    expect(await events('billing.order.accepted.v1', 'orderId', res.body.id)).toEqual([
      expect.objectContaining({ invoiceId: res.body.invoiceId, total: 0 }),
    ]);
    expect(await events('billing.payment.received.v1', 'invoiceId', res.body.invoiceId)).toEqual([]);
  });

  it('a cancelled order: order.cancelled once (requested); cancelling again publishes nothing', async () => {
    const c = await newClient(h, shop.tenantId);
    const order = await placeOrder(c.token);
    expect((await api.post(`/v1/orders/${order.id}/cancel`, {}, c.token)).status).toBe(200);
    expect((await api.post(`/v1/orders/${order.id}/cancel`, {}, c.token)).status).toBe(409);
    expect(await events('billing.order.cancelled.v1', 'orderId', order.id)).toEqual([
      expect.objectContaining({
        tenantId: shop.tenantId,
        clientId: c.id,
        invoiceId: order.invoiceId,
        reason: 'requested',
      }),
    ]);
    expect(await events('billing.order.accepted.v1', 'orderId', order.id)).toEqual([]);
  });

  it('another tenant cannot cancel the order: 404 like a random id, and no event', async () => {
    const other = await openShop(h);
    const c = await newClient(h, shop.tenantId);
    const order = await placeOrder(c.token);
    const theirs = await api.post(`/v1/orders/${order.id}/cancel`, {}, other.resellerToken);
    const random = await api.post(
      `/v1/orders/0193a1b2-0000-7000-8000-00000000dead/cancel`,
      {},
      other.resellerToken,
    );
    expect([theirs.status, theirs.body.code]).toEqual([random.status, random.body.code]);
    expect(theirs.status).toBe(404);
    expect(await events('billing.order.cancelled.v1', 'orderId', order.id)).toEqual([]);
  });

  it('an order expired unpaid: order.cancelled once with reason expired', async () => {
    const fresh = await openShop(h);
    expect(
      (await api.patch('/v1/billing-settings', { orderExpiryDays: 1 }, fresh.resellerToken)).status,
    ).toBe(200);
    const c = await newClient(h, fresh.tenantId);
    const res = await api.post(
      '/v1/orders',
      { items: [{ productId: fresh.productId, cycle: 'monthly' }] },
      c.token,
    );
    const orderId = res.body.id as string;
    await h.db.withTenant(tenantScope(fresh.tenantId), (tx) =>
      tx.execute(sql`update orders set created_at = now() - interval '3 days' where id = ${orderId}`),
    );
    await h.billing.built.services.orders.expire();
    await h.billing.built.services.orders.expire();
    expect(await events('billing.order.cancelled.v1', 'orderId', orderId)).toEqual([
      expect.objectContaining({ tenantId: fresh.tenantId, reason: 'expired' }),
    ]);
  });

  it('a credit note to account credit: credit_note.issued and payment.refunded once each, replay included', async () => {
    const c = await newClient(h, shop.tenantId);
    const order = await placeOrder(c.token);
    expect((await pay(order.invoiceId, 1499)).status).toBe(201);
    const note = () =>
      api.call('POST', `/v1/invoices/${order.invoiceId}/credit-notes`, {
        token: shop.resellerToken,
        body: { amount: 500, reason: 'downtime' },
        headers: withKey(`cn-${order.id}`),
      });
    const first = await note();
    expect(first.status).toBe(201);
    expect((await note()).body).toEqual(first.body);
    const noteId = first.body.creditNote.id as string;
    expect(await events('billing.credit_note.issued.v1', 'invoiceId', order.invoiceId)).toEqual([
      expect.objectContaining({
        tenantId: shop.tenantId,
        creditNoteId: noteId,
        number: first.body.creditNote.number,
        invoiceNumber: first.body.invoice.number,
        clientId: c.id,
        amount: 500,
        currency: 'EUR',
        reason: 'downtime',
        refundTo: 'credit',
      }),
    ]);
    expect(await events('billing.payment.refunded.v1', 'invoiceId', order.invoiceId)).toEqual([
      expect.objectContaining({ creditNoteId: noteId, amount: 500, refundTo: 'credit', clientId: c.id }),
    ]);
    // more than is left: 422 naming the amount, nothing published
    const over = await api.post(
      `/v1/invoices/${order.invoiceId}/credit-notes`,
      { amount: 5000, reason: 'too much' },
      shop.resellerToken,
    );
    expect([over.status, over.body.errors[0].field]).toEqual([422, 'amount']);
    expect(await events('billing.credit_note.issued.v1', 'invoiceId', order.invoiceId)).toHaveLength(1);
  });
});
