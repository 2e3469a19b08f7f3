/**
 * Money is integer minor units (`bigint`) next to an ISO 4217 currency; never floats (DESIGN.md §4).
 * The arithmetic below never looks at the currency's exponent: 0-decimal (JPY), 2-decimal (EUR) and
 * 3-decimal (KWD) amounts are all whole numbers of their minor unit.
 *
 * Rounding rule (one, everywhere in billing): a rate of an amount is rounded HALF-UP on each invoice line,
 * i.e. half away from zero for the non-negative amounts we bill — 10% of 5 cents (0.5) is 1 cent, of 4
 * cents (0.4) is 0. The invoice's tax is the sum of its lines' rounded taxes.
 */
export type Minor = bigint;

export const TAX_ROUNDING_RULE = 'tax is rounded half-up per invoice line, in minor units';

const FULL_BPS = 10_000n;

/** `amount × bps / 10000`, rounded half-up, for amount ≥ 0 and 0 ≤ bps ≤ 10000. */
export function rateOf(amount: Minor, bps: number): Minor {
  if (amount < 0n) throw new RangeError('rateOf: amount must not be negative');
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError('rateOf: bps out of range');
  return (amount * BigInt(bps) + FULL_BPS / 2n) / FULL_BPS;
}

/**
 * The tax inside a tax-inclusive price: `price − price / (1 + bps/10000)` = `price × bps / (10000 + bps)`,
 * rounded half-up (the same rule, per line), for price ≥ 0 and 0 ≤ bps ≤ 10000.
 */
export function inclusiveTaxOf(price: Minor, bps: number): Minor {
  if (price < 0n) throw new RangeError('inclusiveTaxOf: price must not be negative');
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000)
    throw new RangeError('inclusiveTaxOf: bps out of range');
  const den = FULL_BPS + BigInt(bps);
  return (2n * price * BigInt(bps) + den) / (2n * den);
}

/**
 * One invoice line's tax from its price: exclusive (the tax comes on top) or inclusive (the tax is inside
 * the price). Always `amount + tax = total`; inclusive keeps `total` equal to the price.
 */
export function lineTax(
  price: Minor,
  bps: number,
  inclusive: boolean,
): { amount: Minor; tax: Minor; total: Minor } {
  if (!inclusive) {
    const tax = rateOf(price, bps);
    return { amount: price, tax, total: price + tax };
  }
  const tax = inclusiveTaxOf(price, bps);
  return { amount: price - tax, tax, total: price };
}

export const sumOf = (values: Iterable<Minor>): Minor => {
  let total = 0n;
  for (const v of values) total += v;
  return total;
};

/** node-postgres returns bigint columns as strings: read them exactly. */
export const fromDbMinor = (value: string | number | bigint): Minor => BigInt(value);

const MAX_JSON = BigInt(Number.MAX_SAFE_INTEGER);

/** Minor units as a JSON number (exact up to 2^53 − 1, which no invoice reaches). */
export function toJsonMinor(value: Minor): number {
  if (value > MAX_JSON || value < -MAX_JSON) throw new RangeError('amount beyond the safe JSON range');
  return Number(value);
}

/** Currencies whose minor unit is a thousandth (ISO 4217); the rest billing meets have 0 or 2 decimals. */
const THREE_DECIMALS = new Set(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND']);
export const hasThreeDecimals = (currency: string): boolean => THREE_DECIMALS.has(currency);

/** ISO 4217 currencies without a minor unit (their amounts are whole units: ¥1,499 is 1499). */
const ZERO_DECIMALS = new Set([
  'BIF',
  'CLP',
  'DJF',
  'GNF',
  'ISK',
  'JPY',
  'KMF',
  'KRW',
  'PYG',
  'RWF',
  'UGX',
  'UYI',
  'VND',
  'VUV',
  'XAF',
  'XOF',
  'XPF',
]);

/** The currency's exponent: how many decimals its minor unit has (0, 2 or 3). */
export const currencyExponent = (currency: string): 0 | 2 | 3 =>
  ZERO_DECIMALS.has(currency) ? 0 : THREE_DECIMALS.has(currency) ? 3 : 2;

/**
 * Minor units as a human amount with the currency's exponent, thousands grouped, exactly (no float):
 * 1499 JPY → "1,499 JPY", 123456 EUR → "1,234.56 EUR", 3335 KWD → "3.335 KWD", -5 EUR → "-0.05 EUR".
 */
export function formatMinor(amount: Minor, currency: string): string {
  const exp = currencyExponent(currency);
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exp + 1, '0');
  const whole = digits.slice(0, digits.length - exp).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = exp === 0 ? '' : `.${digits.slice(digits.length - exp)}`;
  return `${negative ? '-' : ''}${whole}${fraction} ${currency}`;
}
