import { createHash } from 'node:crypto';
import { allTenants, AppError, tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import type * as Mailparser from 'mailparser';
import type { AddressObject, ParsedMail } from 'mailparser';
import { findDepartment, findDepartmentsByEmail } from '../store/departments.store';
import { recordInbound } from '../store/inbound.store';
import { findRecipient, findRecipientByEmail } from '../store/mail.store';
import { mergedInto } from '../store/ticket-extras.store';
import { findTicket } from '../store/tickets.store';
import { type ReplyAddresses } from './reply-token';
import { type TicketExtrasService } from './ticket-extras.service';
import { type BouncesService } from './bounces.service';
import { type DepartmentsService } from './departments.service';
import { parseDeliveryReport } from './dsn';
import { DuplicateDelivery, type TicketsService, type WriteHooks } from './tickets.service';

export type InboundOutcome =
  | { status: 'bounced'; bounce: 'hard' | 'soft' }
  | { status: 'appended'; ticketId: string; attachments?: number }
  | { status: 'opened'; ticketId: string; attachments?: number }
  | { status: 'duplicate' }
  | { status: 'dropped'; reason: DropReason };

export type DropReason =
  | 'auto_reply'
  | 'own_mail'
  | 'forged_token'
  | 'expired_token'
  | 'unknown_ticket'
  | 'sender_mismatch'
  | 'ticket_closed'
  | 'bounce_unmatched'
  | 'not_a_bounce'
  | 'unknown_sender'
  | 'no_recipient'
  | 'empty';

/** Why a message is machine-made (RFC 3834 and the usual non-standard headers), or undefined. */
export function automatedReason(mail: ParsedMail): string | undefined {
  const h = (name: string) => {
    const v = mail.headers.get(name);
    return v === undefined ? undefined : (typeof v === 'string' ? v : JSON.stringify(v)).toLowerCase().trim();
  };
  const autoSubmitted = h('auto-submitted');
  if (autoSubmitted && autoSubmitted !== 'no') return `Auto-Submitted: ${autoSubmitted}`;
  const precedence = h('precedence');
  if (precedence && /^(bulk|list|junk|auto_reply)$/.test(precedence)) return `Precedence: ${precedence}`;
  for (const name of [
    'x-autoreply',
    'x-autorespond',
    'x-auto-response-suppress',
    'list-id',
    'list-unsubscribe',
  ])
    if (h(name) !== undefined) return name;
  const from = mail.from?.value[0]?.address?.toLowerCase() ?? '';
  if (/^(mailer-daemon|postmaster|no-?reply)@/.test(from)) return `From: ${from}`;
  return undefined;
}

const addressesOf = (a: AddressObject | AddressObject[] | undefined): string[] =>
  (Array.isArray(a) ? a : a ? [a] : [])
    .flatMap((x) => x.value)
    .map((v) => v.address?.toLowerCase())
    .filter((x): x is string => !!x);

/**
 * The new text of a reply: the quoted history below it goes (a line "On … wrote:", "El … escribió:", an
 * "Original Message" separator, or the first run of ">" lines), and so does trailing whitespace.
 */
export function replyText(text: string): string {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const cut = lines.findIndex(
    (l) =>
      /^\s*(On|El|Le|Am)\s.+(wrote|escribió|a écrit|schrieb):\s*$/i.test(l) ||
      /^\s*-{2,}\s*(Original Message|Mensaje original)/i.test(l) ||
      /^\s*>/.test(l),
  );
  return (cut >= 0 ? lines.slice(0, cut) : lines).join('\n').trim();
}

const asClient = (clientId: string, tenantId: string): AuthContext => ({
  userId: clientId,
  role: 'client',
  tenantId,
  tokenId: 'inbound-mail',
  issuedAt: 0,
});

/**
 * Mail in: a client's answer to a ticket mail (its signed reply address) lands in that ticket; a mail to
 * a department's address from a known client of the department's tenant opens a ticket. Machine-made
 * mail (auto-replies, lists, bounces) and our own mail coming back are dropped, so two systems never
 * answer each other forever. Each Message-ID is taken once.
 */
export function createInboundService(deps: {
  db: Database;
  tickets: TicketsService;
  /** Files attached to the mail go to the ticket under the same rules as uploads (others are skipped). */
  ticketExtras?: Pick<TicketExtrasService, 'attachIn'>;
  /** Whether a closed ticket's department still takes the client's new tickets (mail to a closed one). */
  departments?: Pick<DepartmentsService, 'openable'>;
  /** Delivery status notifications about our mails (bounces). */
  bounces?: Pick<BouncesService, 'record'>;
  replies: ReplyAddresses;
  /** Addresses that are ours (the platform's sender): mail from them is our own, coming back. */
  ownAddresses: string[];
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  const own = new Set(deps.ownAddresses.map((a) => a.toLowerCase()));

  /**
   * The mail's Message-ID (taken once) and its files, written in the same transaction as its message:
   * files are stored as the ticket's client under the upload rules, refused ones skipped (`stored` counts
   * the others); any other failure rolls the message back with them, and the sender's server retries.
   */
  const hooksFor = (messageId: string, mail: ParsedMail) => {
    const counted = { stored: 0 };
    const hooks: WriteHooks = {
      once: (tx, scope, ticketId) => recordInbound(tx, scope, messageId, ticketId),
      after: async (tx, scope, ticket) => {
        if (!deps.ticketExtras) return;
        for (const a of mail.attachments) {
          try {
            await deps.ticketExtras.attachIn(
              tx,
              scope,
              ticket,
              { filename: a.filename ?? 'attachment', data: a.content },
              { author: 'client', authorId: ticket.clientId },
            );
            counted.stored += 1;
          } catch (err) {
            // refused by the rules before any SQL ran: the transaction is intact
            if (!(err instanceof AppError && err.status < 500)) throw err;
          }
        }
      },
    };
    return { hooks, counted };
  };

  async function toTicket(
    token: string,
    from: string,
    body: string,
    write: ReturnType<typeof hooksFor>,
  ): Promise<InboundOutcome> {
    const verified = deps.replies.verify(token, now());
    if ('refused' in verified)
      return { status: 'dropped', reason: verified.refused === 'expired' ? 'expired_token' : 'forged_token' };
    // a merged ticket's address leads to the ticket it was merged into
    const ticket = await deps.db.withTenant(allTenants, async (tx) => {
      const t = await findTicket(tx, { scope: allTenants }, verified.ticketId);
      const into = t && (await mergedInto(tx, tenantScope(t.tenantId), t.id));
      return into ? findTicket(tx, { scope: tenantScope(t.tenantId) }, into) : t;
    });
    if (!ticket) return { status: 'dropped', reason: 'unknown_ticket' };
    const scope = tenantScope(ticket.tenantId);
    const client = await deps.db.withTenant(scope, (tx) => findRecipient(tx, scope, ticket.clientId));
    // the address is the key, and the sender must still be the ticket's client
    if (!client || client.email.toLowerCase() !== from)
      return { status: 'dropped', reason: 'sender_mismatch' };
    const asTicketClient = asClient(ticket.clientId, ticket.tenantId);
    if (ticket.status === 'closed') {
      // the department decides: a new ticket referring to the closed one, or (default) reopen it
      const department =
        ticket.departmentId &&
        (await deps.db.withTenant(scope, (tx) => findDepartment(tx, scope, ticket.departmentId!)));
      const openable =
        department &&
        department.closedTicketMail === 'new_ticket' &&
        (await deps.departments?.openable(ticket.tenantId, department.id));
      if (openable) {
        const opened = await deps.tickets.open(
          asTicketClient,
          { departmentId: openable.id, subject: ticket.subject, message: body, priority: ticket.priority },
          undefined,
          { ...write.hooks, followUpOf: ticket.id },
        );
        return { status: 'opened', ticketId: opened.ticket.id };
      }
    }
    await deps.tickets.reply(asTicketClient, ticket.id, body, undefined, {
      ...write.hooks,
      reopenClosed: true,
    });
    return { status: 'appended', ticketId: ticket.id };
  }

  async function toDepartment(
    address: string,
    from: string,
    subject: string,
    body: string,
    write: ReturnType<typeof hooksFor>,
  ): Promise<InboundOutcome | undefined> {
    const departments = await deps.db.withTenant(allTenants, (tx) =>
      findDepartmentsByEmail(tx, allTenants, address),
    );
    if (departments.length === 0) return undefined;
    for (const d of departments) {
      const scope = tenantScope(d.tenantId);
      const client = await deps.db.withTenant(scope, (tx) => findRecipientByEmail(tx, scope, from));
      if (!client) continue;
      const opened = await deps.tickets.open(
        asClient(client.clientId, d.tenantId),
        {
          departmentId: d.id,
          subject: subject.trim().slice(0, 200) || '(no subject)',
          message: body,
          priority: 'medium',
        },
        undefined,
        write.hooks,
      );
      return { status: 'opened', ticketId: opened.ticket.id };
    }
    return { status: 'dropped', reason: 'unknown_sender' };
  }

  return {
    /**
     * Takes one raw RFC 822 message. `recipients` are the SMTP envelope's (RCPT TO) when there is one;
     * piped mail is routed by its To, Cc and Delivered-To headers.
     */
    async receive(raw: Buffer | string, recipients?: string[]): Promise<InboundOutcome> {
      // mailparser (and iconv-lite's code pages) is loaded with the first inbound mail, not at start.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { simpleParser } = require('mailparser') as typeof Mailparser;
      const mail = await simpleParser(raw);
      // a bounce of one of our mails comes from a mailer-daemon as an auto-reply: it is read, not dropped
      const report = parseDeliveryReport(
        Buffer.isBuffer(raw) ? raw.toString('utf8') : raw,
        mail.headers.get('content-type') as { value: string; params: Record<string, string> } | undefined,
      );
      if (report && deps.bounces) return deps.bounces.record(report);
      const from = mail.from?.value[0]?.address?.toLowerCase() ?? '';
      if (own.has(from) || from.endsWith(`@${deps.replies.domain}`) || mail.headers.has('x-geminis-template'))
        return { status: 'dropped', reason: 'own_mail' };
      if (automatedReason(mail)) return { status: 'dropped', reason: 'auto_reply' };
      const delivered = mail.headers.get('delivered-to');
      const to = (
        recipients?.length
          ? recipients
          : [
              ...addressesOf(mail.to),
              ...addressesOf(mail.cc),
              ...(typeof delivered === 'string' ? [delivered] : []),
            ]
      ).map((a) => a.toLowerCase().trim());
      const body = replyText(mail.text ?? '').slice(0, 20_000);
      if (!body || body.includes('\u0000')) return { status: 'dropped', reason: 'empty' };
      const messageId =
        mail.messageId?.slice(0, 500) ?? `sha256:${createHash('sha256').update(raw).digest('hex')}`;
      try {
        const token = to.find((a) => a.startsWith('reply+'));
        const write = hooksFor(messageId, mail);
        let outcome: InboundOutcome | undefined;
        if (token) outcome = await toTicket(token, from, body, write);
        for (const address of token ? [] : to) {
          outcome = await toDepartment(address, from, mail.subject ?? '', body, write);
          if (outcome) break;
        }
        if (!outcome) return { status: 'dropped', reason: 'no_recipient' };
        if (outcome.status !== 'appended' && outcome.status !== 'opened') return outcome;
        const files = write.counted.stored;
        return files > 0 ? { ...outcome, attachments: files } : outcome;
      } catch (err) {
        if (err instanceof DuplicateDelivery) return { status: 'duplicate' };
        // a department the client may not use, a closed ticket: a refusal, not a failure to retry
        if (err instanceof AppError && err.status < 500)
          return { status: 'dropped', reason: 'unknown_sender' };
        throw err;
      }
    },
  };
}

export type InboundService = ReturnType<typeof createInboundService>;
