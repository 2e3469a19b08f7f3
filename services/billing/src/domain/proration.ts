import { type Minor } from './money';

/**
 * Proration of a change of package mid-cycle (an upgrade or a downgrade), per calendar day, in integer
 * minor units (any currency: JPY, EUR and KWD amounts are all whole minor units).
 *
 * Rounding rule: the credit for the unused days of the old price and the charge for the same days at the
 * new price are each `amount × unusedDays / periodDays` rounded HALF-UP to a whole minor unit; the
 * difference is charge − credit (positive: invoiced; negative: the client's account credit). A change on
 * the first day of the period swaps the whole price; one on the due date itself changes nothing.
 */
export const PRORATION_RULE =
  'credit and charge are each amount × unused days / days of the period, rounded half-up in minor units';

export interface Proration {
  periodDays: number;
  unusedDays: number;
  credit: Minor;
  charge: Minor;
  difference: Minor;
}

const DAY = 86_400_000;
const dayNumber = (date: string): number => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new RangeError(`not a calendar date: ${date}`);
  const t = Date.parse(`${date}T00:00:00Z`);
  // 2026-02-30 would parse as 2 March: only a date that reads back the same is one
  if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== date)
    throw new RangeError(`not a calendar date: ${date}`);
  return t / DAY;
};

/** `amount × part / whole`, rounded half-up, for amount ≥ 0 and 0 ≤ part ≤ whole, whole > 0. */
export function shareOf(amount: Minor, part: number, whole: number): Minor {
  if (amount < 0n) throw new RangeError('shareOf: amount must not be negative');
  if (!Number.isInteger(part) || !Number.isInteger(whole) || whole <= 0 || part < 0 || part > whole)
    throw new RangeError('shareOf: part must be within 0..whole');
  const w = BigInt(whole);
  return (amount * BigInt(part) * 2n + w) / (2n * w);
}

/** What a change from `oldAmount` to `newAmount` per period costs on `changeDate` within the period. */
export function prorate(p: {
  oldAmount: Minor;
  newAmount: Minor;
  periodStart: string;
  periodEnd: string;
  changeDate: string;
}): Proration {
  const [start, end, at] = [dayNumber(p.periodStart), dayNumber(p.periodEnd), dayNumber(p.changeDate)];
  if (end <= start) throw new RangeError('the period must end after it starts');
  if (at < start || at > end) throw new RangeError('the change must fall within the period');
  const periodDays = end - start;
  const unusedDays = end - at;
  const credit = shareOf(p.oldAmount, unusedDays, periodDays);
  const charge = shareOf(p.newAmount, unusedDays, periodDays);
  return { periodDays, unusedDays, credit, charge, difference: charge - credit };
}
