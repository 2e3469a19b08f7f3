import { rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { inclusiveTaxOf, lineTax } from '../src/domain/money';
import {
  client,
  countRows,
  newClient,
  openShop,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/**
 * Inclusive prices (a tenant setting): the line's price already holds the tax, so
 * tax = price − price/(1 + rate) = price × bps / (10000 + bps), rounded half-up per line (the same rule as
 * exclusive tax); the line's amount is the price less that tax and its total is the price. The oracle is
 * PostgreSQL's `numeric` (exact decimals; `round` goes half away from zero, i.e. half-up for amounts ≥ 0).
 */
describe('inclusive tax', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** The tax inside `price` at `bps`, and the net, computed by PostgreSQL in numeric. */
  async function oracle(price: bigint, bps: number): Promise<{ tax: bigint; net: bigint }> {
    const [o] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      rows<{ tax: string; net: string }>(
        tx,
        sql`select round(p - p / (1 + ${bps}::numeric / 10000))::text as tax,
                   (p - round(p - p / (1 + ${bps}::numeric / 10000)))::text as net
              from (select ${price.toString()}::numeric as p) x`,
      ),
    );
    return { tax: BigInt(o!.tax), net: BigInt(o!.net) };
  }

  it('agrees with numeric for any price and rate: tax = price − price/(1+rate) half-up, amount + tax = price', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.bigInt({ min: 0n, max: 10n ** 12n }),
          fc.constantFrom(0n, 1n, 5n, 11n, 105n, 1499n, 3335n, 121n, 10n ** 15n),
        ),
        fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.constantFrom(0, 500, 1000, 2100, 2300, 10_000)),
        async (price, bps) => {
          const expected = await oracle(price, bps);
          expect(inclusiveTaxOf(price, bps)).toBe(expected.tax);
          expect(lineTax(price, bps, true)).toEqual({
            amount: expected.net,
            tax: expected.tax,
            total: price,
          });
          // the set-based runs' SQL twin (migration 0031) says the same, inclusive and exclusive
          const [sqlTax] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
            rows<{ inc: string; exc: string; oracle: string }>(
              tx,
              sql`select billing_line_tax(${price.toString()}::bigint, ${bps}, true)::text as inc,
                         billing_line_tax(${price.toString()}::bigint, ${bps}, false)::text as exc,
                         round(${price.toString()}::numeric * ${bps} / 10000)::text as oracle`,
            ),
          );
          expect([BigInt(sqlTax!.inc), BigInt(sqlTax!.exc)]).toEqual([expected.tax, BigInt(sqlTax!.oracle)]);
        },
      ),
      { numRuns: 300 },
    );
    // half-up at the exact half: 105 at 5% holds 5 (=105 − 100); 21 at 5% holds exactly 1; 1.5 → 2
    expect(inclusiveTaxOf(105n, 500)).toBe(5n);
    expect(inclusiveTaxOf(63n, 2500)).toBe(13n); // 63 × 0.2 = 12.6 → 13
    expect(inclusiveTaxOf(15n, 10_000)).toBe(8n); // 15 × ½ = 7.5 → 8 (half goes up)
    expect(inclusiveTaxOf(14n, 10_000)).toBe(7n);
  });

  it.each([
    // [currency (its minor unit), rate, the price of Starter monthly + setup in that currency]
    ['JPY (0 decimals)', 'JPY', 1000, 1499n],
    ['EUR (2 decimals)', 'EUR', 2100, 1499n], // 9.99 + 5.00 setup
    ['KWD (3 decimals)', 'KWD', 500, 3335n],
  ])(
    'an order of a tenant with inclusive prices in %s: total = price, tax from numeric',
    async (_label, currency, bps, price) => {
      const fresh = await openShop(h);
      const s = await api.patch(
        '/v1/billing-settings',
        { taxName: 'VAT', taxRateBps: bps, taxInclusive: true },
        fresh.resellerToken,
      );
      expect([s.status, s.body.taxInclusive]).toEqual([200, true]);
      const c = await newClient(h, fresh.tenantId, currency);
      const order = await api.post(
        '/v1/orders',
        { items: [{ productId: fresh.productId, cycle: 'monthly' }] },
        c.token,
      );
      expect(order.status).toBe(201);
      const invoice = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body;
      const expected = await oracle(price, bps);
      expect({
        currency: invoice.currency,
        subtotal: BigInt(invoice.subtotal),
        taxTotal: BigInt(invoice.taxTotal),
        total: BigInt(invoice.total),
      }).toEqual({ currency, subtotal: expected.net, taxTotal: expected.tax, total: price });
      for (const l of invoice.lines) expect(l.amount + l.tax).toBe(l.total);
      // the same tenant back to exclusive: the tax comes on top again
      await api.patch('/v1/billing-settings', { taxInclusive: false }, fresh.resellerToken);
      const again = await api.post(
        '/v1/orders',
        { items: [{ productId: fresh.productId, cycle: 'monthly' }] },
        c.token,
      );
      const exclusive = (await api.get(`/v1/invoices/${again.body.invoiceId}`, c.token)).body;
      expect(BigInt(exclusive.subtotal)).toBe(price);
      expect(BigInt(exclusive.total)).toBeGreaterThanOrEqual(price);
    },
  );

  it('refuses a taxInclusive that is not a boolean, naming the field, writing nothing', async () => {
    const fresh = await openShop(h);
    const before = await countRows(h, 'billing_settings', fresh.tenantId);
    const res = await api.patch('/v1/billing-settings', { taxInclusive: 'yes' }, fresh.resellerToken);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('taxInclusive');
    expect(await countRows(h, 'billing_settings', fresh.tenantId)).toBe(before);
  });

  it('is one tenant’s setting: another tenant’s prices stay exclusive, and it cannot set the first’s', async () => {
    const a = await openShop(h);
    const b = await openShop(h);
    await api.patch('/v1/billing-settings', { taxRateBps: 2100, taxInclusive: true }, a.resellerToken);
    await api.patch('/v1/billing-settings', { taxRateBps: 2100 }, b.resellerToken);
    // B naming A's tenant changes B's own settings only (only an admin may name a tenant)
    const named = await api.patch(
      `/v1/billing-settings?tenantId=${a.tenantId}`,
      { taxInclusive: false },
      b.resellerToken,
    );
    expect(named.body.tenantId).toBe(b.tenantId);
    expect((await api.get('/v1/billing-settings', a.resellerToken)).body.taxInclusive).toBe(true);
    expect((await api.get('/v1/billing-settings', b.resellerToken)).body.taxInclusive).toBe(false);
    const cb = await newClient(h, b.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: b.productId, cycle: 'monthly' }] },
      cb.token,
    );
    const invoice = (await api.get(`/v1/invoices/${order.body.invoiceId}`, cb.token)).body;
    expect([invoice.subtotal, invoice.taxTotal, invoice.total]).toEqual([1499, 315, 1814]);
  });
});
