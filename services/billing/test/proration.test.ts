import { openPostgres, rows, type Database } from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import { addDays } from '../src/domain/cycles';
import { prorate, shareOf } from '../src/domain/proration';

/** Proration of a change of package mid-cycle: per day, integer minor units, half-up. */
describe('proration', () => {
  it('credits the unused days of the old price and charges them at the new one', () => {
    // April has 30 days; an upgrade on the 11th leaves 20 unused days
    expect(
      prorate({
        oldAmount: 999n,
        newAmount: 1999n,
        periodStart: '2026-04-01',
        periodEnd: '2026-05-01',
        changeDate: '2026-04-11',
      }),
    ).toEqual({ periodDays: 30, unusedDays: 20, credit: 666n, charge: 1333n, difference: 667n });
  });

  it('rounds half-up: half a minor unit is one, less is none', () => {
    expect(shareOf(1n, 1, 2)).toBe(1n); // 0.5
    expect(shareOf(1n, 1, 3)).toBe(0n); // 0.333…
    expect(shareOf(5n, 1, 2)).toBe(3n); // 2.5
    expect(shareOf(3335n, 15, 30)).toBe(1668n); // KWD 3.335 over half a month: 1.6675 → 1.668
  });

  it('gives a downgrade back as a negative difference, and nothing on the due date itself', () => {
    const down = prorate({
      oldAmount: 1499n,
      newAmount: 999n,
      periodStart: '2026-02-01',
      periodEnd: '2026-03-01',
      changeDate: '2026-02-15',
    });
    expect(down).toMatchObject({
      periodDays: 28,
      unusedDays: 14,
      credit: 750n,
      charge: 500n,
      difference: -250n,
    });
    const none = prorate({
      oldAmount: 1499n,
      newAmount: 999n,
      periodStart: '2026-02-01',
      periodEnd: '2026-03-01',
      changeDate: '2026-03-01',
    });
    expect(none.difference).toBe(0n);
  });

  it('refuses a change outside the period or a date that is not one', () => {
    const base = { oldAmount: 1n, newAmount: 2n, periodStart: '2026-02-01', periodEnd: '2026-03-01' };
    expect(() => prorate({ ...base, changeDate: '2026-03-02' })).toThrow(RangeError);
    expect(() => prorate({ ...base, changeDate: '2026-02-30' })).toThrow(RangeError);
    expect(() => prorate({ ...base, changeDate: 'soon' })).toThrow(RangeError);
  });

  it('nets an upgrade and a downgrade in one cycle to the new price for the days between, within the rounding', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.bigInt({ min: 0n, max: 10n ** 9n }),
        fc.integer({ min: 28, max: 1096 }),
        fc.integer({ min: 0, max: 1096 }),
        fc.integer({ min: 0, max: 1096 }),
        (a, b, days, x, y) => {
          const [d1, d2] = [Math.min(x, y) % (days + 1), Math.max(x, y) % (days + 1)].sort((p, q) => p - q);
          const start = '2026-01-31';
          const end = addDays(start, days);
          const up = prorate({
            oldAmount: a,
            newAmount: b,
            periodStart: start,
            periodEnd: end,
            changeDate: addDays(start, d1!),
          });
          const down = prorate({
            oldAmount: b,
            newAmount: a,
            periodStart: start,
            periodEnd: end,
            changeDate: addDays(start, d2!),
          });
          // exactly: (b − a) × (d2 − d1) / days; each of the four roundings moves it by at most half a unit
          const exact2 = 2n * (b - a) * BigInt(d2! - d1!); // twice the numerator, over `days`
          const net2 = 2n * (up.difference + down.difference) * BigInt(days);
          const gap = net2 > exact2 ? net2 - exact2 : exact2 - net2;
          return gap <= 4n * BigInt(days);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  describe('against a numeric oracle in PostgreSQL (JPY, EUR, KWD amounts)', () => {
    let testDb: TestDatabase;
    let db: Database;
    beforeAll(async () => {
      testDb = await createTestDatabase('gm_billing_prorate');
      db = openPostgres({ url: testDb.url, max: 2 });
    });
    afterAll(async () => {
      await db.close();
      await testDb.drop();
    });

    it.each([
      ['JPY', 10n ** 8n],
      ['EUR', 10n ** 10n],
      ['KWD', 10n ** 11n],
    ])('agrees with round(amount × unused / days) in numeric: %s', async (_currency, max) => {
      const cases = fc
        .sample(
          fc.tuple(
            fc.bigInt({ min: 0n, max }),
            fc.integer({ min: 1, max: 1096 }),
            fc.integer({ min: 0, max: 1096 }),
          ),
          2_000,
        )
        .map(([a, days, k]) => [a, k % (days + 1), days] as const);
      const amounts = `{${cases.map(([a]) => a.toString()).join(',')}}`;
      const parts = `{${cases.map(([, p]) => p).join(',')}}`;
      const wholes = `{${cases.map(([, , w]) => w).join(',')}}`;
      const oracle = await db.transaction((tx) =>
        rows<{ share: string }>(
          tx,
          sql`select round(a * p / w)::text as share
                from unnest(${amounts}::numeric[], ${parts}::numeric[], ${wholes}::numeric[])
                     with ordinality as t(a, p, w, i) order by i`,
        ),
      );
      expect(cases.map(([a, p, w]) => shareOf(a, p, w).toString())).toEqual(oracle.map((o) => o.share));
    });
  });
});
