/**
 * Money is integer minor units (`bigint`) with an ISO 4217 currency; never floats (DESIGN.md §4).
 *
 * Rounding rule (one, everywhere): a percentage of an amount is rounded HALF-UP, i.e. half away from zero
 * for the non-negative amounts we price — 10% of 5 cents (0.5) is 1 cent, 10% of 4 cents (0.4) is 0. It is
 * what an invoice reader checks by hand and what WHMCS-style billing does per line; banker's rounding
 * only pays off when summing very many rounded values, and a quote rounds once per line.
 */
export type Minor = bigint;

/** Minor-unit exponents that are not 2 (ISO 4217). Anything else has 2 decimals. */
const EXPONENTS: Readonly<Record<string, 0 | 3>> = {
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
};

export const CURRENCY_PATTERN = /^[A-Z]{3}$/;

/** Decimal places of a currency's minor unit: 0 (JPY), 2 (EUR, USD…) or 3 (KWD, BHD…). */
export function exponentOf(currency: string): 0 | 2 | 3 {
  return EXPONENTS[currency] ?? 2;
}

/** Percentages are held in basis points: 10% = 1000, 12.5% = 1250, 100% = 10000. */
export const FULL_PERCENT_BPS = 10_000n;

/** `amount × bps / 10000`, rounded half-up, for amount ≥ 0 and 0 ≤ bps ≤ 10000. */
export function percentOf(amount: Minor, bps: number): Minor {
  if (amount < 0n) throw new RangeError('percentOf: amount must not be negative');
  if (!Number.isInteger(bps) || bps < 0 || bps > 10_000) throw new RangeError('percentOf: bps out of range');
  return (amount * BigInt(bps) + FULL_PERCENT_BPS / 2n) / FULL_PERCENT_BPS;
}

export const minOf = (a: Minor, b: Minor): Minor => (a < b ? a : b);
export const maxOf = (a: Minor, b: Minor): Minor => (a > b ? a : b);
export const sumOf = (values: Iterable<Minor>): Minor => {
  let total = 0n;
  for (const v of values) total += v;
  return total;
};

/** For JSON: a minor amount as a JS number, refusing anything beyond the safe integer range. */
export function toJsonMinor(amount: Minor): number {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER) || amount < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError('amount beyond the safe integer range');
  }
  return Number(amount);
}

/** From PostgreSQL: node-postgres returns bigint columns as strings. */
export function fromDbMinor(value: string | number | bigint): Minor {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError('amount is not a safe integer');
    return BigInt(value);
  }
  if (!/^-?\d+$/.test(value)) throw new RangeError(`not an integer amount: ${value}`);
  return BigInt(value);
}

/** A human decimal string ("12.34", "1500", "1.250") for display only; never parsed back. */
export function formatMinor(amount: Minor, currency: string): string {
  const exp = exponentOf(currency);
  if (exp === 0) return amount.toString();
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(exp + 1, '0');
  const whole = digits.slice(0, -exp);
  const frac = digits.slice(-exp);
  return `${negative ? '-' : ''}${whole}.${frac}`;
}
