import { allTenants, tenantScope, type Database, type Logger } from '@geminis/service-kit';
import { type SendMailOptions } from 'nodemailer';
import { type BrandsService } from '../domain/brands.service';
import { type NotificationsService } from '../domain/notifications.service';
import { claimDueMails, markAttemptFailed, markSent, type Mail } from '../store/mail.store';

/** What sends a message (a nodemailer transport). */
export interface MailTransport {
  sendMail(message: SendMailOptions): Promise<unknown>;
}

export interface MailSenderOptions {
  db: Database;
  transport: MailTransport;
  notifications: Pick<NotificationsService, 'renderMail'>;
  brands: BrandsService;
  /** The platform's sending address: the envelope sender (bounces), and From when a brand has none. */
  from: string;
  /** Domain of the Message-IDs. */
  messageIdDomain?: string;
  maxAttempts?: number;
  /** First retry delay; doubles per attempt up to an hour. */
  retryBaseMs?: number;
  batchSize?: number;
  now?: () => Date;
  logger?: Pick<Logger, 'warn' | 'error'>;
}

/**
 * The sending side of the mail queue, outside any user request: takes due mails (a lease, so concurrent
 * senders and replicas never take the same one), renders each in its tenant's template and brand, and
 * sends it through SMTP. A failure is retried with backoff until `maxAttempts`, then the mail is logged
 * failed. The Message-ID is the mail's id: a retry after a lost acknowledgement is recognisable.
 */
export function createMailSender(o: MailSenderOptions) {
  const now = o.now ?? (() => new Date());
  const maxAttempts = o.maxAttempts ?? 8;
  const base = o.retryBaseMs ?? 60_000;
  const batch = o.batchSize ?? 20;
  const leaseMs = 5 * 60_000;
  const domain = o.messageIdDomain ?? (o.from.split('@')[1] || 'geminis.local');

  async function sendOne(mail: Mail, at: Date): Promise<'sent' | 'retry' | 'failed'> {
    const scope = tenantScope(mail.tenantId);
    try {
      if (!mail.recipient) throw new Error('no recipient');
      const rendered = await o.notifications.renderMail(mail);
      const brand = await o.brands.brandFor(mail.tenantId);
      await o.transport.sendMail({
        from: { name: brand.brandName, address: brand.supportEmail ?? o.from },
        sender: o.from,
        envelope: { from: o.from, to: mail.recipient },
        to: mail.recipient,
        ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        messageId: `<${mail.id}@${domain}>`,
        headers: {
          // RFC 3834: a machine's message; well-behaved auto-responders do not answer it
          'Auto-Submitted': 'auto-generated',
          'X-Geminis-Template': mail.template,
        },
      });
      await o.db.withTenant(scope, (tx) => markSent(tx, scope, mail.id, rendered.subject, now()));
      return 'sent';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const attempt = mail.attempts + 1;
      const retryAt =
        attempt >= maxAttempts
          ? null
          : new Date(at.getTime() + Math.min(base * 2 ** (attempt - 1), 3_600_000));
      await o.db.withTenant(scope, (tx) => markAttemptFailed(tx, scope, mail.id, message, retryAt));
      o.logger?.warn({ mailId: mail.id, tenantId: mail.tenantId, attempt, err: message }, 'mail not sent');
      return retryAt ? 'retry' : 'failed';
    }
  }

  return {
    /** Sends every mail due at `at`, a batch at a time; returns what happened to each. */
    async drain(at: Date = now()) {
      const counts = { sent: 0, retry: 0, failed: 0 };
      for (;;) {
        const due = await o.db.withTenant(allTenants, (tx) =>
          claimDueMails(tx, allTenants, at, leaseMs, batch),
        );
        for (const mail of due) counts[await sendOne(mail, at)] += 1;
        if (due.length < batch) return counts;
      }
    },
  };
}

export type MailSender = ReturnType<typeof createMailSender>;
