import { allTenants, newId, tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { findMail, markBounced, softBounced } from '../store/mail.store';
import { deleteSuppression, listSuppressions, suppress, type Suppression } from '../store/suppressions.store';
import { writeScope } from './context';
import { bounceKind, type DeliveryReport } from './dsn';
import { suppressionNotFound } from './errors';

export type BounceOutcome =
  | { status: 'bounced'; bounce: 'hard' | 'soft' }
  | { status: 'dropped'; reason: 'bounce_unmatched' | 'not_a_bounce' };

/** Our Message-IDs are `<mail id@domain>`. */
const MAIL_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@/i;

/**
 * Bounces: a delivery status notification for one of our mails (matched by the Message-ID of the
 * returned original, and the recipient it names). A hard bounce logs the mail `bounced` and suppresses
 * the address in the mail's tenant — later mail to it is not sent (logged `suppressed`) until staff lift
 * it; a soft bounce sends the mail again later, `maxSoftBounces` times at most.
 */
export function createBouncesService(deps: {
  db: Database;
  /** First resend after a soft bounce; doubles per bounce (default 30 minutes). */
  softRetryMs?: number;
  maxSoftBounces?: number;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const softRetryMs = deps.softRetryMs ?? 30 * 60_000;
  const maxSoftBounces = deps.maxSoftBounces ?? 3;

  return {
    async record(report: DeliveryReport): Promise<BounceOutcome> {
      const mailId = MAIL_ID.exec(report.originalMessageId ?? '')?.[1]?.toLowerCase();
      const mail = mailId && (await db.withTenant(allTenants, (tx) => findMail(tx, allTenants, mailId)));
      if (!mail || !mail.recipient) return { status: 'dropped', reason: 'bounce_unmatched' };
      const recipient = mail.recipient.toLowerCase();
      // the report must be about this mail's recipient (one address: an MTA may have rewritten it)
      const about =
        report.recipients.find((r) => r.address === recipient) ??
        (report.recipients.length === 1 ? report.recipients[0] : undefined);
      const kind = about && bounceKind(about);
      if (!about || !kind) return { status: 'dropped', reason: 'not_a_bounce' };
      const scope = tenantScope(mail.tenantId);
      const at = now();
      const what = `${kind} bounce ${about.status}${about.diagnostic ? `: ${about.diagnostic}` : ''}`;
      await db.withTenant(scope, async (tx) => {
        if (kind === 'hard') {
          await suppress(tx, scope, {
            id: newId(),
            email: recipient,
            reason: 'hard_bounce',
            statusCode: about.status,
            diagnostic: about.diagnostic,
            mailId: mail.id,
            createdAt: at,
          });
          await markBounced(tx, scope, mail.id, what);
        } else {
          const delay = softRetryMs * 2 ** Math.min(mail.softBounces, 10);
          await softBounced(tx, scope, mail.id, what, new Date(at.getTime() + delay), maxSoftBounces);
        }
      });
      return { status: 'bounced', bounce: kind };
    },

    /** The tenant's suppressed addresses, newest first (staff). */
    async list(
      auth: AuthContext,
      q: { email?: string; cursor?: string; limit: number; tenantId?: string },
    ): Promise<{ items: Suppression[]; nextCursor: string | null }> {
      const scope = writeScope(auth, q.tenantId);
      const page = await db.withTenant(scope, (tx) =>
        listSuppressions(tx, scope, {
          ...(q.email ? { email: q.email } : {}),
          ...(q.cursor ? { before: q.cursor } : {}),
          limit: q.limit,
        }),
      );
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? last.id : null };
    },

    /** Lifts a suppression (the client fixed its mailbox): mail to the address is sent again. */
    async lift(auth: AuthContext, id: string, tenantId?: string): Promise<void> {
      const scope = writeScope(auth, tenantId);
      if (!(await db.withTenant(scope, (tx) => deleteSuppression(tx, scope, id))))
        throw suppressionNotFound();
    },
  };
}

export type BouncesService = ReturnType<typeof createBouncesService>;
