import { seedBillingDemo } from '../src/service';
import { client, countRows, newClient, openShop, startBilling, type Harness } from './support/billing';

/** The demo data npm start asks for: through billing's own use cases, the same on every start. */
describe('billing demo seed', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startBilling({ lifecycleJobs: false });
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  it('gives a client an invoice paid by credit, an unpaid one and one with a credit note, once', async () => {
    const shop = await openShop(h);
    const c = await newClient(h, shop.tenantId);
    const input = {
      tenantId: shop.tenantId,
      client: c,
      staff: { id: shop.tenantId, role: 'reseller' as const },
      productId: shop.productId,
    };
    const demo = await seedBillingDemo(h.billing.built.services, input);
    const again = await seedBillingDemo(h.billing.built.services, input);
    expect(again).toEqual(demo);
    expect(await countRows(h, 'orders', shop.tenantId)).toBe(3);
    const api = client(h.url);
    const invoice = async (id: string) => (await api.get(`/v1/invoices/${id}`, c.token)).body;
    expect(await invoice(demo.paidByCredit)).toMatchObject({ status: 'paid', balance: 0 });
    expect(await invoice(demo.unpaid)).toMatchObject({ status: 'unpaid', balance: 1499 });
    expect(await invoice(demo.credited)).toMatchObject({ status: 'paid' });
    const notes = (await api.get(`/v1/invoices/${demo.credited}/credit-notes`, c.token)).body.items;
    expect(notes).toEqual([expect.objectContaining({ amount: 100, refundTo: 'credit' })]);
    const payments = (await api.get(`/v1/invoices/${demo.paidByCredit}/payments`, c.token)).body.items;
    expect(payments).toEqual([expect.objectContaining({ method: 'credit', amount: 1499 })]);
    // the credit note's 100 went back to the client's account credit
    expect((await api.get(`/v1/credit/${c.id}`, c.token)).body.balances).toEqual([
      { currency: 'EUR', amount: 100 },
    ]);
  });
});
