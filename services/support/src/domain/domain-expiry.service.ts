import { createHash } from 'node:crypto';
import { allTenants, tenantScope, type Database } from '@geminis/service-kit';
import { domainsExpiringBetween } from '../store/domain-expiries.store';
import { type NotificationsService } from './notifications.service';

const DAY_MS = 86_400_000;
/** Days before expiry a client is reminded, farthest first. */
export const EXPIRY_REMINDER_DAYS = [30, 7] as const;

/** A stable id for one reminder (its domain, the expiry it is about, its threshold): what makes it once-only. */
function reminderId(tenantId: string, domainServiceId: string, expiresAt: Date, days: number): string {
  const h = createHash('sha256')
    .update(`support.domain_expiring:${tenantId}:${domainServiceId}:${expiresAt.toISOString()}:${days}`)
    .digest('hex');
  // shaped as a UUID (version 8: custom) for the mail queue's event id column
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Domain expiry reminders: once a day, every domain expiring within 30 days gets its client's reminder
 * for the nearest threshold it has passed (30, then 7 days), once per domain, expiry date and threshold —
 * a renewal (a new expiry date) starts its reminders afresh. Mails queue like any other, in the tenant's
 * brand and the client's language.
 */
export function createDomainExpiryService(deps: {
  db: Database;
  notifications: NotificationsService;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    /** Queues the reminders due at `at`; returns how many were new. */
    async remindExpiring(at: Date = now()): Promise<number> {
      const farthest = EXPIRY_REMINDER_DAYS[0];
      const due = await deps.db.withTenant(allTenants, (tx) =>
        domainsExpiringBetween(tx, allTenants, at, new Date(at.getTime() + farthest * DAY_MS)),
      );
      let queued = 0;
      for (const d of due) {
        const daysLeft = Math.ceil((d.expiresAt.getTime() - at.getTime()) / DAY_MS);
        // the nearest threshold passed: 7 once within a week, else 30
        const threshold = [...EXPIRY_REMINDER_DAYS].reverse().find((t) => daysLeft <= t)!;
        const scope = tenantScope(d.tenantId);
        const added = await deps.db.withTenant(scope, (tx) =>
          deps.notifications.queue(tx, scope, {
            eventId: reminderId(d.tenantId, d.domainServiceId, d.expiresAt, threshold),
            template: 'domain_expiring',
            clientId: d.clientId,
            vars: {
              domain: d.domain,
              expiresAt: d.expiresAt.toISOString().slice(0, 10),
              daysLeft: String(daysLeft),
            },
          }),
        );
        if (added) queued += 1;
      }
      return queued;
    },
  };
}

export type DomainExpiryService = ReturnType<typeof createDomainExpiryService>;
