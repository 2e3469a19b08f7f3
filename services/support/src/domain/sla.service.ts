import { allTenants, type Database } from '@geminis/service-kit';
import { closeAwaitingClient, markSlaBreaches } from '../store/tickets.store';

const DAY_MS = 24 * 60 * 60_000;

/**
 * The periodic side of support, across every tenant (a named cross-tenant job): first-response breaches
 * are marked, and tickets left awaiting the client for `autoCloseDays` are closed. Both are set-based
 * single statements and idempotent: running them twice at the same moment changes nothing more.
 */
export function createSlaService(deps: { db: Database; autoCloseDays?: number; now?: () => Date }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async markBreaches(at: Date = now()): Promise<number> {
      return db.withTenant(allTenants, (tx) => markSlaBreaches(tx, allTenants, at));
    },
    async autoClose(at: Date = now()): Promise<number> {
      const days = deps.autoCloseDays ?? 0;
      if (days <= 0) return 0;
      const cutoff = new Date(at.getTime() - days * DAY_MS);
      return db.withTenant(allTenants, (tx) => closeAwaitingClient(tx, allTenants, cutoff, at));
    },
  };
}

export type SlaService = ReturnType<typeof createSlaService>;
