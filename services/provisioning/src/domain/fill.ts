import { type FillStrategy } from '@geminis/contracts';

export interface ServerLoad {
  id: string;
  maxAccounts: number;
  accounts: number;
}

/**
 * The server a new account goes to, among candidates already in the group's order: `fill_in_order` takes
 * the first with room, `least_accounts` the one with the most free share of its capacity (ties: order).
 * Undefined when every server is full.
 */
export function pickServer<T extends ServerLoad>(strategy: FillStrategy, servers: T[]): T | undefined {
  const open = servers.filter((s) => s.accounts < s.maxAccounts);
  if (strategy === 'fill_in_order') return open[0];
  let best: T | undefined;
  for (const s of open) if (!best || s.accounts / s.maxAccounts < best.accounts / best.maxAccounts) best = s;
  return best;
}

/** Capped exponential backoff with full jitter: random(0, min(cap, base · 2^attempt)). */
export const backoffMs = (attempt: number, baseMs: number, capMs: number, random = Math.random): number =>
  Math.round(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));
