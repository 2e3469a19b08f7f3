import { allTenants, tenantScope, type Database, type Logger } from '@geminis/service-kit';
import { type SendMailOptions } from 'nodemailer';
import CircuitBreaker from 'opossum';
import { type BrandsService } from '../domain/brands.service';
import { type NotificationsService } from '../domain/notifications.service';
import { languageOf } from '../domain/mail-templates';
import {
  claimDueMails,
  findRecipient,
  markAttemptFailed,
  markSent,
  markSuppressed,
  type Mail,
} from '../store/mail.store';
import { findSuppressionByEmail } from '../store/suppressions.store';

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
  /** Each SMTP server's breaker (defaults: opens after 5 calls at 50 % failures, tries again after 60 s). */
  breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  /**
   * A tenant's own SMTP server, when it has one (`key` names the server for its breaker); otherwise the
   * platform's `transport`. Its mail then has the tenant's address as envelope sender too (its server
   * may refuse to relay for ours), so its bounces go to the tenant.
   */
  tenantTransport?: (tenantId: string) => Promise<{ key: string; transport: MailTransport } | undefined>;
}

/** How an SMTP failure is handled: refused for good, worth a retry, or the server itself unreachable. */
export type SendFailure = 'permanent' | 'retry' | 'server_down';

const DOWN = new Set([
  'ECONNECTION',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'EOPENBREAKER',
  // a tenant's server whose name does not resolve, or resolves to a refused address: its mail waits
  'ENOTFOUND',
  'EREFUSEDHOST',
  // a service the mail needs (identity's brand, provisioning's panel login) unreachable: the mail waits
  'EDEPENDENCY',
]);

export function classifySendError(err: unknown): SendFailure {
  const e = err as { responseCode?: number; code?: string };
  // 5xx: the server refused this message or recipient for good (a bounce); retrying changes nothing
  if (typeof e.responseCode === 'number' && e.responseCode >= 500) return 'permanent';
  if (e.code && DOWN.has(e.code)) return 'server_down';
  return 'retry';
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
  // one breaker per SMTP server (the platform's, each tenant's own): while one is open, its mails wait
  // without a connection attempt each, and the others' go on
  const breakers = new Map<string, CircuitBreaker<[SendMailOptions], unknown>>();
  const breakerFor = (key: string, transport: MailTransport) => {
    let b = breakers.get(key);
    if (!b) {
      // a tenant's changed settings are a new server: its old breaker goes
      const tenant = key.split('@')[0]!;
      for (const [k, old] of breakers)
        if (k !== 'platform' && k.split('@')[0] === tenant) {
          old.shutdown();
          breakers.delete(k);
        }
      b = new CircuitBreaker((m: SendMailOptions) => transport.sendMail(m), {
        timeout: false,
        volumeThreshold: o.breaker?.volumeThreshold ?? 5,
        errorThresholdPercentage: 50,
        resetTimeout: o.breaker?.resetTimeoutMs ?? 60_000,
        // a refusal of one message says nothing about the server's health
        errorFilter: (err: unknown) => classifySendError(err) === 'permanent',
      });
      breakers.set(key, b);
    }
    return b;
  };

  async function sendOne(queued: Mail, at: Date): Promise<'sent' | 'retry' | 'failed'> {
    let mail = queued;
    const scope = tenantScope(mail.tenantId);
    try {
      // queued before support learnt the client's address (events from two services race): look again
      if (!mail.recipient && mail.clientId) {
        const clientId = mail.clientId;
        const r = await o.db.withTenant(scope, (tx) => findRecipient(tx, scope, clientId));
        if (r)
          mail = {
            ...mail,
            recipient: r.email,
            language: languageOf(r.language),
            vars: { ...mail.vars, clientName: mail.vars.clientName || r.name },
          };
      }
      if (!mail.recipient)
        throw Object.assign(new Error('no email address is known for this client (yet)'), {
          code: 'ENORECIPIENT',
        });
      const to = mail.recipient;
      // an address that bounced for good is not mailed again (staff see it, and may lift it)
      const bounced = await o.db.withTenant(scope, (tx) => findSuppressionByEmail(tx, scope, to));
      if (bounced) {
        const why = `not sent: ${to} bounced (${bounced.statusCode ?? 'hard bounce'}) on ${bounced.createdAt.toISOString()}`;
        await o.db.withTenant(scope, (tx) => markSuppressed(tx, scope, mail.id, why));
        return 'failed';
      }
      // identity (the brand) unreachable is like the server being down: the mail waits, nothing is lost
      const [rendered, brand] = await Promise.all([
        o.notifications.renderMail(mail),
        o.brands.brandFor(mail.tenantId),
      ]).catch((err: unknown) => {
        // a refusal for good (e.g. the password reset is no longer live) stays one
        if (classifySendError(err) === 'permanent') throw err;
        throw Object.assign(new Error(`cannot render: ${err instanceof Error ? err.message : String(err)}`), {
          code: 'EDEPENDENCY',
        });
      });
      const own = await o.tenantTransport?.(mail.tenantId);
      const envelopeFrom = own ? (brand.supportEmail ?? o.from) : o.from;
      await breakerFor(own?.key ?? 'platform', own?.transport ?? o.transport).fire({
        from: { name: brand.brandName, address: brand.supportEmail ?? o.from },
        sender: envelopeFrom,
        envelope: { from: envelopeFrom, to },
        to,
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
      await o.db.withTenant(scope, (tx) => markSent(tx, scope, mail.id, to, rendered.subject, now()));
      return 'sent';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const kind = classifySendError(err);
      const attempt = mail.attempts + 1;
      const delay = Math.min(base * 2 ** Math.min(attempt - 1, 20), 3_600_000);
      // an unreachable server never uses up a mail's attempts: it waits, nothing is lost
      const retryAt =
        kind === 'permanent' || (kind === 'retry' && attempt >= maxAttempts)
          ? null
          : new Date(at.getTime() + delay);
      await o.db.withTenant(scope, (tx) => markAttemptFailed(tx, scope, mail.id, message, retryAt));
      o.logger?.warn(
        { mailId: mail.id, tenantId: mail.tenantId, attempt, kind, err: message },
        'mail not sent',
      );
      return retryAt ? 'retry' : 'failed';
    }
  }

  return {
    shutdown: () => {
      for (const b of breakers.values()) b.shutdown();
      breakers.clear();
    },
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
