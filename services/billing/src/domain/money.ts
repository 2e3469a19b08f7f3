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
