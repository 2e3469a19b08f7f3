import { type QuoteSnapshot } from '@geminis/contracts';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { openPostgres, rows, type Database } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { addCycle } from '../src/domain/cycles';
import { rateOf } from '../src/domain/money';
import { formatNumber, planOrder } from '../src/domain/order-plan';

const line = (total: number, extra: Partial<QuoteSnapshot['lines'][number]> = {}) =>
  ({
    kind: 'product',
    productId: '01900000-0000-7000-8000-000000000001',
    cycle: 'monthly',
    description: 'Starter',
    quantity: 1,
    unitPrice: total,
    setupFee: 0,
    subtotal: total,
    setupTotal: 0,
    discount: 0,
    total,
    recurringDiscount: 0,
    details: { options: [], source: 'own', module: 'cpanel' },
    ...extra,
  }) as QuoteSnapshot['lines'][number];

const snapshot = (currency: string, lines: QuoteSnapshot['lines']): QuoteSnapshot => ({
  version: 1,
  quoteId: '01900000-0000-7000-8000-000000000002',
  createdAt: '2026-01-31T10:00:00.000Z',
  tenantId: '01900000-0000-7000-8000-000000000003',
  clientId: null,
  currency,
  lines,
  totals: { subtotal: 0, setupTotal: 0, discountTotal: 0, total: 0 },
  promotion: null,
  rounding: 'percent discounts are rounded half-up per line, in minor units',
});

/** Tax in integer minor units, rounded half-up per line, whatever the currency's decimals. */
describe('invoice money', () => {
  it.each([
    // [currency, line amount in minor units, bps, tax]
    ['JPY (0 decimals): ¥1,499 at 10% = ¥149.9', 1499, 1000, 150n],
    ['JPY: ¥1,495 at 10% = ¥149.5, half goes up', 1495, 1000, 150n],
    ['JPY: ¥1,494 at 10% = ¥149.4', 1494, 1000, 149n],
    ['EUR (2 decimals): €13.99 at 21% = €2.9379', 1399, 2100, 294n],
    ['EUR: €0.05 at 10% = €0.005, half goes up', 5, 1000, 1n],
    ['EUR: €0.04 at 10% = €0.004', 4, 1000, 0n],
    ['KWD (3 decimals): 3.335 KD at 5% = 0.16675 KD', 3335, 500, 167n],
    ['KWD: 3.330 KD at 5% = 0.1665 KD, half goes up', 3330, 500, 167n],
    ['KWD: 3.329 KD at 5% = 0.16645 KD', 3329, 500, 166n],
  ] as const)('%s', (_what, amount, bps, tax) => {
    expect(rateOf(BigInt(amount), bps)).toBe(tax);
  });

  it('rounds each line on its own and sums the rounded taxes (not the tax of the sum)', () => {
    // three lines of €0.05 at 10%: each 0.5 cent → 1 cent, so 3 cents (the sum's tax would be 1.5 → 2)
    const plan = planOrder(snapshot('EUR', [line(5), line(5), line(5)]), [], '2026-01-31', 1000);
    expect(plan.lines.map((l) => l.tax)).toEqual([1n, 1n, 1n]);
    expect(plan).toMatchObject({ subtotal: 15n, taxTotal: 3n, total: 18n });
  });

  it('bills the quote as priced: net = subtotal + setup − discount, renewal = price − recurring discount', () => {
    const plan = planOrder(
      snapshot('EUR', [
        line(1399, { subtotal: 999, setupTotal: 500, discount: 100, recurringDiscount: 100, unitPrice: 999 }),
      ]),
      ['example.com'],
      '2026-01-31',
      2100,
    );
    expect(plan.lines[0]).toMatchObject({
      amount: 1399n,
      tax: 294n,
      total: 1693n,
      setupFee: 500n,
      discount: 100n,
    });
    expect(plan.services[0]).toMatchObject({
      recurringAmount: 899n,
      domain: 'example.com',
      registrationDate: '2026-01-31',
      nextDueDate: '2026-02-28',
    });
    expect(plan.lines[0]).toMatchObject({ periodStart: '2026-01-31', periodEnd: '2026-02-28' });
  });

  it('moves due dates by calendar months, clamped to the month end, leap years included', () => {
    expect(addCycle('2024-01-31', 'monthly')).toBe('2024-02-29');
    expect(addCycle('2026-11-30', 'quarterly')).toBe('2027-02-28');
    expect(addCycle('2024-02-29', 'annually')).toBe('2025-02-28');
    expect(addCycle('2026-05-15', 'triennially')).toBe('2029-05-15');
    expect(addCycle('2026-05-15', 'onetime')).toBeNull();
  });

  it('formats numbers with the tenant prefix, year and padding', () => {
    const s = { invoicePrefix: 'ACME-', invoicePadding: 5, invoiceYearlyReset: true };
    expect(formatNumber(s, 2026, 42n)).toBe('ACME-2026-00042');
    expect(formatNumber({ ...s, invoiceYearlyReset: false }, 2026, 42n)).toBe('ACME-00042');
  });

  describe('against a numeric oracle in PostgreSQL', () => {
    let testDb: TestDatabase;
    let db: Database;
    beforeAll(async () => {
      testDb = await createTestDatabase('gm_billing_oracle');
      db = openPostgres({ url: testDb.url, max: 2 });
    });
    afterAll(async () => {
      await db.close();
      await testDb.drop();
    });

    it('agrees with round(amount × bps / 10000) in numeric for any amount and rate', async () => {
      const cases = fc.sample(
        fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 53n - 1n }), fc.integer({ min: 0, max: 10_000 })),
        2_000,
      );
      // Postgres array literals, each sent as ONE parameter.
      const amounts = `{${cases.map(([a]) => a.toString()).join(',')}}`;
      const rates = `{${cases.map(([, b]) => b).join(',')}}`;
      const oracle = await db.transaction((tx) =>
        rows<{ tax: string }>(
          tx,
          sql`select round(a * b / 10000)::text as tax
                from unnest(${amounts}::numeric[], ${rates}::int[]) with ordinality as t(a, b, i) order by i`,
        ),
      );
      expect(cases.map(([a, b]) => rateOf(a, b).toString())).toEqual(oracle.map((o) => o.tax));
    });
  });
});
