import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { insertInvoice } from '../src/store/invoices.store';
import { nextNumber } from '../src/store/settings.store';
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

/** Invoices: taxes per tenant, and numbers per tenant without gaps or duplicates under concurrency. */
describe('invoices', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  const orderAs = (token: string, cycle = 'monthly') =>
    api.post('/v1/orders', { items: [{ productId: shop.productId, cycle }] }, token);

  describe('taxes', () => {
    beforeAll(async () => {
      const res = await api.patch(
        '/v1/billing-settings',
        { taxName: 'VAT', taxRateBps: 1000, invoicePrefix: 'ACME-', invoicePadding: 4 },
        shop.resellerToken,
      );
      expect(res.status).toBe(200);
    });

    it.each([
      // currency, price in minor units, 10% tax rounded half-up on the line
      ['JPY', 1499, 150],
      ['KWD', 3335, 334],
      ['EUR', 1499, 150],
    ] as const)(
      'bills %s in the client’s currency with the tenant’s rate, rounded half-up per line',
      async (currency, amount, tax) => {
        const c = await newClient(h, shop.tenantId, currency);
        const order = await orderAs(c.token);
        expect(order.status).toBe(201);
        const invoice = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body;
        expect(invoice).toMatchObject({
          currency,
          taxName: 'VAT',
          taxRateBps: 1000,
          subtotal: amount,
          taxTotal: tax,
          total: amount + tax,
        });
        expect(invoice.lines[0]).toMatchObject({ amount, tax, total: amount + tax });
        expect(invoice.number).toMatch(/^ACME-\d{4}-\d{4}$/);
      },
    );

    it('refuses a rate over 100% naming the field, changing nothing', async () => {
      const res = await api.patch('/v1/billing-settings', { taxRateBps: 10_001 }, shop.resellerToken);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('taxRateBps');
      expect((await api.get('/v1/billing-settings', shop.resellerToken)).body.taxRateBps).toBe(1000);
    });

    it('keeps settings to staff', async () => {
      const c = await newClient(h, shop.tenantId);
      expect((await api.get('/v1/billing-settings', c.token)).status).toBe(403);
    });
  });

  describe('numbers', () => {
    const numbersOf = (tenantId: string) =>
      h.db.withTenant(tenantScope(tenantId), async (tx) =>
        (await rows<{ number: string }>(tx, sql`select number from invoices`)).map((r) => r.number),
      );

    it('numbers concurrent orders of a tenant 1..N in its own series', async () => {
      const fresh = await openShop(h);
      const clients = await Promise.all(Array.from({ length: 10 }, () => newClient(h, fresh.tenantId)));
      const answers = await Promise.all(
        clients.map((c) =>
          api.post('/v1/orders', { items: [{ productId: fresh.productId, cycle: 'monthly' }] }, c.token),
        ),
      );
      expect(answers.every((a) => a.status === 201)).toBe(true);
      const year = new Date().getUTCFullYear();
      expect((await numbersOf(fresh.tenantId)).sort()).toEqual(
        Array.from({ length: 10 }, (_, i) => `INV-${year}-${String(i + 1).padStart(6, '0')}`),
      );
    });

    it('writes a number longer than the tenant’s padding in full, in the tenant’s format', async () => {
      const fresh = await openShop(h);
      const set = await api.patch(
        '/v1/billing-settings',
        { invoicePrefix: 'P/', invoicePadding: 1, invoiceYearlyReset: false },
        fresh.resellerToken,
      );
      expect(set.status).toBe(200);
      const c = await newClient(h, fresh.tenantId);
      for (let i = 0; i < 11; i += 1) {
        const order = await api.post(
          '/v1/orders',
          { items: [{ productId: fresh.productId, cycle: 'monthly' }] },
          c.token,
        );
        expect(order.status).toBe(201);
      }
      const numbers = await numbersOf(fresh.tenantId);
      expect(numbers.sort()).toEqual(Array.from({ length: 11 }, (_, i) => `P/${i + 1}`).sort());
    });

    it('has no gap and no duplicate when 8 workers issue at once and some transactions roll back', async () => {
      const tenants = [newId(), newId()];
      const owners = await Promise.all(tenants.map((t) => newClient(h, t)));
      const WORKERS = 8;
      const ATTEMPTS = 40; // per worker and tenant; every 10th rolls back after taking its number
      const rolledBack = new Error('rolled back on purpose');
      const issue = (tenant: number, attempt: number) =>
        h.db
          .withTenant(tenantScope(tenants[tenant]!), async (tx) => {
            const n = await nextNumber(tx, tenants[tenant]!, 'invoice', 0);
            await insertInvoice(tx, tenantScope(tenants[tenant]!), {
              id: newId(),
              clientId: owners[tenant]!.id,
              orderId: null,
              reason: 'manual',
              number: n.toString(),
              currency: 'EUR',
              subtotal: 100n,
              taxName: 'Tax',
              taxRateBps: 0,
              taxTotal: 0n,
              total: 100n,
              buyer: { name: 'x', email: 'x@example.com' },
              dueDate: '2026-12-01',
              lines: [],
            });
            if (attempt % 10 === 9) throw rolledBack;
          })
          .catch((err: unknown) => {
            if (err !== rolledBack) throw err;
          });
      await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          for (let i = 0; i < ATTEMPTS; i += 1) await issue((w + i) % 2, i);
        }),
      );
      for (const t of tenants) {
        const numbers = (await numbersOf(t)).map(Number).sort((a, b) => a - b);
        const expected = (WORKERS * ATTEMPTS * 9) / 10 / 2;
        expect(numbers).toEqual(Array.from({ length: expected }, (_, i) => i + 1));
      }
      expect(await countRows(h, 'number_counters', tenants[0]!)).toBe(1);
    });
  });
});
