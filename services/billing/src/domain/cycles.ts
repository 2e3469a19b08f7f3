import { type BillingCycle } from '@geminis/contracts';
import { type z } from 'zod';

export type Cycle = z.infer<typeof BillingCycle>;

const MONTHS: Readonly<Record<Cycle, number | null>> = {
  monthly: 1,
  quarterly: 3,
  semiannually: 6,
  annually: 12,
  biennially: 24,
  triennially: 36,
  onetime: null,
  free: null,
};

export const isRecurring = (cycle: Cycle): boolean => MONTHS[cycle] !== null;

const daysIn = (year: number, month0: number) => new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();

/**
 * A calendar date (YYYY-MM-DD) moved forward by one cycle; a day past the end of the target month is the
 * month's last day (31 Jan + 1 month = 28/29 Feb). null for cycles that do not renew.
 */
export function addCycle(date: string, cycle: Cycle): string | null {
  const months = MONTHS[cycle];
  if (months === null) return null;
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = m - 1 + months;
  const year = y + Math.floor(total / 12);
  const month0 = total % 12;
  const day = Math.min(d, daysIn(year, month0));
  return `${year}-${String(month0 + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The UTC calendar date of an instant. */
export const dateOf = (at: Date): string => at.toISOString().slice(0, 10);

/** A calendar date plus some days. */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}
