import { newId } from '@geminis/service-kit';
import {
  client,
  countRows,
  newClient,
  openShop,
  outboxEvents,
  startBilling,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Manual payments, account credit, and what a paid first invoice sets off. */
describe('payments', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** A client with one pending order of €14.99 (9.99 + 5.00 setup), and its invoice. */
  async function ordered() {
    const c = await newClient(h, shop.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly', domain: 'shop.example.com' }] },
      c.token,
    );
    expect(order.status).toBe(201);
    return { client: c, order: order.body, invoiceId: order.body.invoiceId as string };
  }
  const pay = (
    invoiceId: string,
    body: object,
    token = shop.resellerToken,
    headers: Record<string, string> = {},
  ) => api.call('POST', `/v1/invoices/${invoiceId}/payments`, { token, body, headers });

  it('takes partial payments, and once paid in full requests provisioning of each service', async () => {
    const { client: c, order, invoiceId } = await ordered();
    const first = await pay(invoiceId, { amount: 1000, reference: 'bank 1' });
    expect(first.status).toBe(201);
    expect(first.body.invoice).toMatchObject({ status: 'partially_paid', amountPaid: 1000, balance: 499 });
    expect(await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1')).toEqual([]);

    const second = await pay(invoiceId, { amount: 499, method: 'bank_transfer' });
    expect(second.body.invoice).toMatchObject({ status: 'paid', amountPaid: 1499, balance: 0 });
    expect(second.body.payment).toMatchObject({ amount: 499, method: 'bank_transfer', currency: 'EUR' });

    expect((await api.get(`/v1/orders/${order.id}`, c.token)).body.status).toBe('active');
    const service = (await api.get(`/v1/client-services/${order.serviceIds[0]}`, c.token)).body;
    expect(service.status).toBe('provisioning');
    const paid = await outboxEvents(h, shop.tenantId, 'billing.invoice.paid.v1');
    expect(paid).toEqual([expect.objectContaining({ invoiceId, total: 1499, clientId: c.id })]);
    const requested = await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1');
    expect(requested).toEqual([
      {
        serviceId: order.serviceIds[0],
        orderId: order.id,
        invoiceId,
        client: { clientId: c.id, email: expect.stringContaining('@example.com'), name: expect.any(String) },
        cycle: 'monthly',
        productId: shop.productId,
        productName: 'Starter',
        productType: 'shared_hosting',
        module: 'cpanel',
        moduleConfig: expect.objectContaining({ package: 'starter' }),
        domain: 'shop.example.com',
      },
    ]);
    const payments = await api.get(`/v1/invoices/${invoiceId}/payments`, c.token);
    expect(payments.body.items.map((p: { amount: number }) => p.amount)).toEqual([1000, 499]);
    // a paid invoice takes no more money, and provisioning is never requested twice
    expect((await pay(invoiceId, { amount: 1 })).status).toBe(409);
    expect(await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1')).toHaveLength(1);
  });

  describe('refuses bad payments, writing nothing', () => {
    let invoiceId: string;
    beforeAll(async () => {
      invoiceId = (await ordered()).invoiceId;
    });
    it.each([
      ['more than the balance', { amount: 1500 }, 422],
      ['zero', { amount: 0 }, 400],
      ['a negative amount', { amount: -5 }, 400],
      ['a fraction of a minor unit', { amount: 10.5 }, 400],
      ['an amount as a string', { amount: '10' }, 400],
      ['an amount beyond the money bound (10^12 minor units)', { amount: 1_000_000_000_001 }, 400],
    ])('%s', async (_what, body, status) => {
      const before = await countRows(h, 'payments', shop.tenantId);
      const res = await pay(invoiceId, body);
      expect(res.status).toBe(status);
      expect(res.body.errors[0].field).toBe('amount');
      expect(await countRows(h, 'payments', shop.tenantId)).toBe(before);
      expect((await api.get(`/v1/invoices/${invoiceId}`, shop.resellerToken)).body.amountPaid).toBe(0);
    });
    it('lets only staff record a manual payment', async () => {
      const { client: c, invoiceId: own } = await ordered();
      expect((await pay(own, { amount: 100 }, c.token)).status).toBe(403);
    });
  });

  describe('Idempotency-Key', () => {
    it('records one payment for concurrent identical requests, all answered alike', async () => {
      const { invoiceId } = await ordered();
      const key = newId();
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => pay(invoiceId, { amount: 300 }, shop.resellerToken, withKey(key))),
      );
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
      expect(new Set(answers.map((a) => a.body.payment.id)).size).toBe(1);
      const invoice = await api.get(`/v1/invoices/${invoiceId}`, shop.resellerToken);
      expect(invoice.body.amountPaid).toBe(300);
      const other = await pay(invoiceId, { amount: 301 }, shop.resellerToken, withKey(key));
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('billing.idempotency_key_reused');
    });
  });

  describe('account credit', () => {
    it('pays an invoice from credit the staff added, and the balance is what the ledger sums to', async () => {
      const { client: c, invoiceId } = await ordered();
      const deposit = await api.post(
        `/v1/credit/${c.id}`,
        { amount: 2000, currency: 'EUR' },
        shop.resellerToken,
      );
      expect(deposit.status).toBe(201);
      expect(deposit.body.balances).toEqual([{ currency: 'EUR', amount: 2000 }]);
      const applied = await api.post(`/v1/invoices/${invoiceId}/apply-credit`, {}, c.token);
      expect(applied.status).toBe(201);
      expect(applied.body.invoice).toMatchObject({ status: 'paid', amountPaid: 1499 });
      expect(applied.body.payment.method).toBe('credit');
      expect((await api.get(`/v1/credit/${c.id}`, c.token)).body.balances).toEqual([
        { currency: 'EUR', amount: 501 },
      ]);
    });

    it('never overdraws a balance under concurrent spends', async () => {
      const a = await ordered();
      const invoices = [a.invoiceId];
      for (let i = 0; i < 3; i += 1) {
        const more = await api.post(
          '/v1/orders',
          { items: [{ productId: shop.productId, cycle: 'monthly' }] },
          a.client.token,
        );
        invoices.push(more.body.invoiceId);
      }
      await api.post(`/v1/credit/${a.client.id}`, { amount: 2 * 1499, currency: 'EUR' }, shop.resellerToken);
      const answers = await Promise.all(
        invoices.map((id) => api.post(`/v1/invoices/${id}/apply-credit`, { amount: 1499 }, a.client.token)),
      );
      expect(answers.filter((x) => x.status === 201)).toHaveLength(2);
      for (const refused of answers.filter((x) => x.status !== 201)) {
        expect(refused.status).toBe(422);
        expect(refused.body.code).toBe('billing.insufficient_credit');
      }
      expect((await api.get(`/v1/credit/${a.client.id}`, a.client.token)).body.balances).toEqual([
        { currency: 'EUR', amount: 0 },
      ]);
    });

    it('refuses to spend more than the credit, naming the amount', async () => {
      const { client: c, invoiceId } = await ordered();
      const res = await api.post(`/v1/invoices/${invoiceId}/apply-credit`, { amount: 100 }, c.token);
      expect(res.status).toBe(422);
      expect(res.body.errors[0].field).toBe('amount');
    });
  });
});
