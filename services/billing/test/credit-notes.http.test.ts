import { newId } from '@geminis/service-kit';
import {
  client,
  countRows,
  newClient,
  openShop,
  startBilling,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Credit notes: their own gapless series, never more than was paid, refunded to account credit. */
describe('credit notes', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** A client whose €14.99 invoice was paid by a manual payment. */
  async function paidInvoice(s: Shop = shop) {
    const c = await newClient(h, s.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: s.productId, cycle: 'monthly' }] },
      c.token,
    );
    const invoiceId = order.body.invoiceId as string;
    const paid = await api.post(`/v1/invoices/${invoiceId}/payments`, { amount: 1499 }, s.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    return { client: c, invoiceId };
  }
  const credit = (invoiceId: string, body: object, token = shop.resellerToken, key?: string) =>
    api.call('POST', `/v1/invoices/${invoiceId}/credit-notes`, {
      token,
      body,
      ...(key ? { headers: withKey(key) } : {}),
    });
  const balance = async (c: { id: string; token: string }) =>
    (await api.get(`/v1/credit/${c.id}`, c.token)).body.balances;

  it('credits part then the rest: numbered in its own series, to account credit, the invoice then refunded', async () => {
    const { client: c, invoiceId } = await paidInvoice();
    const year = new Date().getUTCFullYear();
    const part = await credit(invoiceId, { amount: 500, reason: 'downtime' });
    expect(part.status).toBe(201);
    expect(part.body.creditNote).toMatchObject({
      amount: 500,
      number: `CN-${year}-000001`,
      refundTo: 'credit',
    });
    expect(part.body.invoice.status).toBe('paid');
    const rest = await credit(invoiceId, { reason: 'cancelled by the client' });
    expect(rest.body.creditNote).toMatchObject({ amount: 999, number: `CN-${year}-000002` });
    expect(rest.body.invoice.status).toBe('refunded');
    expect(await balance(c)).toEqual([{ currency: 'EUR', amount: 1499 }]);
    const notes = await api.get(`/v1/invoices/${invoiceId}/credit-notes`, c.token);
    expect(notes.body.items.map((n: { amount: number }) => n.amount)).toEqual([500, 999]);
  });

  it('refuses to credit more than was paid, naming the amount, writing nothing', async () => {
    const { client: c, invoiceId } = await paidInvoice();
    const before = await countRows(h, 'credit_notes', shop.tenantId);
    const res = await credit(invoiceId, { amount: 1500, reason: 'too much' });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].field).toBe('amount');
    expect(await countRows(h, 'credit_notes', shop.tenantId)).toBe(before);
    expect(await balance(c)).toEqual([]);
  });

  it('never credits past the paid amount under concurrent requests, and numbers stay gapless', async () => {
    const fresh = await openShop(h);
    const { client: c, invoiceId } = await paidInvoice(fresh);
    const answers = await Promise.all(
      Array.from({ length: 6 }, () =>
        credit(invoiceId, { amount: 700, reason: 'race' }, fresh.resellerToken),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(2);
    expect(answers.filter((a) => a.status === 422)).toHaveLength(4);
    const year = new Date().getUTCFullYear();
    expect(
      answers
        .filter((a) => a.status === 201)
        .map((a) => a.body.creditNote.number)
        .sort(),
    ).toEqual([`CN-${year}-000001`, `CN-${year}-000002`]);
    expect(await balance(c)).toEqual([{ currency: 'EUR', amount: 1400 }]);
  });

  it('refuses an unpaid invoice (409) and keeps issuing to staff', async () => {
    const c = await newClient(h, shop.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      c.token,
    );
    expect((await credit(order.body.invoiceId, { reason: 'x' })).status).toBe(409);
    const { client: owner, invoiceId } = await paidInvoice();
    expect((await credit(invoiceId, { reason: 'self-service' }, owner.token)).status).toBe(403);
  });

  it("answers another tenant's invoice like a missing one, and replays an Idempotency-Key", async () => {
    const other = await openShop(h);
    const { invoiceId } = await paidInvoice();
    const mine = await credit(invoiceId, { reason: 'x' }, other.resellerToken);
    const missing = await credit(newId(), { reason: 'x' }, other.resellerToken);
    expect([mine.status, mine.body.code]).toEqual([404, missing.body.code]);
    const key = newId();
    const first = await credit(invoiceId, { amount: 100, reason: 'once' }, shop.resellerToken, key);
    const again = await credit(invoiceId, { amount: 100, reason: 'once' }, shop.resellerToken, key);
    expect(again.body).toEqual(first.body);
    expect(
      (await api.get(`/v1/invoices/${invoiceId}/credit-notes`, shop.resellerToken)).body.items,
    ).toHaveLength(1);
  });
});
