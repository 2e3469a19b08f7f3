import fc from 'fast-check';
import { exponentOf, formatMinor, percentOf } from '../src/domain/money';
import { type Promotion } from '../src/domain/promotion';
import { priceQuote, type PricedLine } from '../src/domain/quote';

const RUNS = { numRuns: 200 };
const CURRENCIES = ['JPY', 'EUR', 'KWD'] as const; // 0, 2 and 3 decimals
const amount = fc.bigInt({ min: 0n, max: 10n ** 12n });
const bps = fc.integer({ min: 0, max: 10_000 });

const promo = (over: Partial<Promotion>): Promotion => ({
  id: '00000000-0000-7000-8000-000000000001',
  tenantId: 't',
  code: 'X',
  description: '',
  discount: { kind: 'percent', bps: 1000 },
  appliesTo: { kind: 'order' },
  cycles: [],
  recurrence: { kind: 'first_payment' },
  freeSetup: false,
  startsAt: null,
  endsAt: null,
  maxUses: null,
  maxUsesPerClient: null,
  newClientsOnly: false,
  redeemed: 0,
  active: true,
  ...over,
});

const lineArb = fc.record({
  unitPrice: amount,
  unitSetupFee: fc.bigInt({ min: 0n, max: 10n ** 9n }),
  quantity: fc.integer({ min: 1, max: 20 }),
  productId: fc.constantFrom('p1', 'p2', 'p3'),
  cycle: fc.constantFrom<PricedLine['cycle']>('monthly', 'annually', 'onetime'),
});
type RawLine = {
  unitPrice: bigint;
  unitSetupFee: bigint;
  quantity: number;
  productId: string;
  cycle: PricedLine['cycle'];
};
const toLine = (l: RawLine): PricedLine => ({
  kind: 'product',
  groupId: l.productId === 'p3' ? 'g2' : 'g1',
  description: l.productId,
  details: {},
  ...l,
});

describe('money', () => {
  it('knows 0-, 2- and 3-decimal currencies', () => {
    expect([
      exponentOf('JPY'),
      exponentOf('EUR'),
      exponentOf('USD'),
      exponentOf('KWD'),
      exponentOf('BHD'),
    ]).toEqual([0, 2, 2, 3, 3]);
    expect(formatMinor(1500n, 'JPY')).toBe('1500');
    expect(formatMinor(5n, 'EUR')).toBe('0.05');
    expect(formatMinor(1250n, 'KWD')).toBe('1.250');
  });

  it('rounds a percentage half-up: exactly the nearest minor unit, ties away from zero', () => {
    fc.assert(
      fc.property(amount, bps, (a, b) => {
        const exact = a * BigInt(b); // in 1/10000 minor units
        const got = percentOf(a, b);
        const remainder = exact - got * 10_000n; // distance to the rounded value, scaled
        expect(remainder).toBeGreaterThanOrEqual(-5000n);
        expect(remainder).toBeLessThan(5000n); // a tie (5000) always rounds up
      }),
      RUNS,
    );
    expect(percentOf(5n, 1000)).toBe(1n); // 0.5 → 1
    expect(percentOf(4n, 1000)).toBe(0n); // 0.4 → 0
    expect(percentOf(15n, 1000)).toBe(2n); // 1.5 → 2 (banker's would give 2 too)
    expect(percentOf(25n, 1000)).toBe(3n); // 2.5 → 3 (banker's would give 2)
  });

  it('never discounts more than the amount, and 0% / 100% are exact', () => {
    fc.assert(
      fc.property(amount, bps, (a, b) => {
        const d = percentOf(a, b);
        expect(d >= 0n && d <= a).toBe(true);
        expect(percentOf(a, 0)).toBe(0n);
        expect(percentOf(a, 10_000)).toBe(a);
      }),
      RUNS,
    );
  });
});

describe('quote arithmetic', () => {
  it('adds up: line total = subtotal + setup − discount, totals = sums, nothing negative', () => {
    const discounts = fc.oneof(
      bps.map((b) => promo({ discount: { kind: 'percent', bps: b } })),
      fc.tuple(amount, fc.constantFrom('order', 'products')).map(([a, scope]) =>
        promo({
          discount: { kind: 'fixed', amounts: { JPY: a + 1n, EUR: a + 1n, KWD: a + 1n } },
          appliesTo: scope === 'order' ? { kind: 'order' } : { kind: 'products', productIds: ['p1', 'p2'] },
        }),
      ),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.array(lineArb, { minLength: 1, maxLength: 6 }),
        fc.option(discounts, { nil: undefined }),
        fc.boolean(),
        (currency, raw, p, freeSetup) => {
          const q = priceQuote(currency, raw.map(toLine), p ? { ...p, freeSetup } : undefined);
          for (const l of q.lines) {
            expect(l.subtotal).toBe(l.unitPrice * BigInt(l.quantity));
            expect(l.setupTotal).toBe(l.unitSetupFee * BigInt(l.quantity));
            expect(l.discount >= 0n).toBe(true);
            expect(l.total).toBe(l.subtotal + l.setupTotal - l.discount);
            expect(l.total >= 0n).toBe(true);
          }
          const sum = (k: 'subtotal' | 'setupTotal' | 'discount' | 'total') =>
            q.lines.reduce((s, l) => s + l[k], 0n);
          expect(q.totals).toEqual({
            subtotal: sum('subtotal'),
            setupTotal: sum('setupTotal'),
            discountTotal: sum('discount'),
            total: sum('total'),
          });
          if (!p) expect(q.totals.discountTotal).toBe(0n);
        },
      ),
      RUNS,
    );
  });

  it('never lets a fixed discount make a line negative, even far larger than the price', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CURRENCIES), lineArb, amount, (currency, raw, extra) => {
        const line = toLine(raw);
        const big = line.unitPrice * BigInt(line.quantity) + extra + 1n;
        const fixed = { kind: 'fixed' as const, amounts: { [currency]: big } };
        for (const appliesTo of [
          { kind: 'order' as const },
          { kind: 'products' as const, productIds: ['p1', 'p2', 'p3'] },
        ]) {
          const q = priceQuote(currency, [line], promo({ discount: fixed, appliesTo }));
          expect(q.lines[0]!.discount).toBe(line.unitPrice * BigInt(line.quantity));
          expect(q.lines[0]!.total).toBe(line.unitSetupFee * BigInt(line.quantity));
        }
      }),
      RUNS,
    );
  });

  it('takes an order-wide fixed amount off once, never more than the amount or the order', () => {
    fc.assert(
      fc.property(fc.array(lineArb, { minLength: 1, maxLength: 6 }), amount, (raw, a) => {
        const lines = raw.map(toLine);
        const q = priceQuote('EUR', lines, promo({ discount: { kind: 'fixed', amounts: { EUR: a } } }));
        const subtotal = q.totals.subtotal;
        expect(q.totals.discountTotal).toBe(a < subtotal ? a : subtotal);
      }),
      RUNS,
    );
  });

  it('discounts a percentage per line, rounded half-up, only on eligible products and cycles', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.array(lineArb, { minLength: 1, maxLength: 6 }),
        bps,
        (currency, raw, b) => {
          const p = promo({
            discount: { kind: 'percent', bps: b },
            appliesTo: { kind: 'products', productIds: ['p1'] },
            cycles: ['annually'],
          });
          const q = priceQuote(currency, raw.map(toLine), p);
          for (const l of q.lines) {
            const eligible = l.productId === 'p1' && l.cycle === 'annually';
            expect(l.discount).toBe(eligible ? percentOf(l.subtotal, b) : 0n);
          }
        },
      ),
      RUNS,
    );
  });

  it('frees the setup fee of eligible lines and repeats the price discount on renewals only when it recurs', () => {
    const line = toLine({
      unitPrice: 1000n,
      unitSetupFee: 500n,
      quantity: 2,
      productId: 'p1',
      cycle: 'monthly',
    });
    const once = priceQuote('EUR', [line], promo({ freeSetup: true }));
    expect(once.lines[0]).toMatchObject({
      subtotal: 2000n,
      setupTotal: 1000n,
      discount: 1200n,
      total: 1800n,
      recurringDiscount: 0n,
    });
    const recurring = priceQuote('EUR', [line], promo({ recurrence: { kind: 'recurring', cycles: 3 } }));
    expect(recurring.lines[0]).toMatchObject({ discount: 200n, recurringDiscount: 200n });
    const onetime = priceQuote(
      'EUR',
      [{ ...line, cycle: 'onetime' }],
      promo({ recurrence: { kind: 'recurring', cycles: null } }),
    );
    expect(onetime.lines[0]!.recurringDiscount).toBe(0n);
  });
});
