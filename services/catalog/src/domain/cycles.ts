import { BillingCycle } from '@geminis/contracts';
import { type z } from 'zod';

export { BillingCycle };
export type Cycle = z.infer<typeof BillingCycle>;
export const CYCLES: readonly Cycle[] = BillingCycle.options;

/** Months covered by one period of a cycle; `onetime` and `free` never renew. */
export const MONTHS: Readonly<Record<Cycle, number | null>> = {
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
