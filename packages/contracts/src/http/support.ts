import { z } from 'zod';
import { Email, Id } from '../events/common';
import { TicketPriority, TicketStatus } from '../events/support';

// --- the answers of support's HTTP API, as they go on the wire (dates as ISO 8601 strings) ---

const Timestamp = z.iso.datetime();

export const DepartmentView = z.object({
  id: Id,
  tenantId: Id,
  name: z.string(),
  email: Email,
  /** `public`: clients may open tickets in it; `hidden`: staff only. */
  visibility: z.enum(['public', 'hidden']),
  /** Platform departments only: offered to every reseller's clients too. */
  shared: z.boolean(),
  /** Who new tickets of the department are assigned to (a staff user id). */
  defaultAssigneeId: Id.nullable(),
  /** First-response target in minutes (SLA); null = none. */
  firstResponseMinutes: z.number().int().positive().nullable(),
  /** A client's mail to a closed ticket: `reopen` it, or open a `new_ticket` that refers to it. */
  closedTicketMail: z.enum(['reopen', 'new_ticket']),
});
export type DepartmentView = z.infer<typeof DepartmentView>;

export const DepartmentList = z.object({ items: z.array(DepartmentView) });
export type DepartmentList = z.infer<typeof DepartmentList>;

/** A ticket as its client sees it: no assignee, no tags, no SLA state (staff-only facts). */
export const ClientTicketView = z.object({
  id: Id,
  tenantId: Id,
  clientId: Id,
  departmentId: Id.nullable(),
  subject: z.string(),
  priority: TicketPriority,
  status: TicketStatus,
  relatedServiceId: Id.nullable(),
  relatedInvoiceId: Id.nullable(),
  openedBy: z.enum(['client', 'staff', 'system']),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  closedAt: Timestamp.nullable(),
  /** The closed ticket this one follows up (a client's mail to it, in a department that opens new tickets). */
  followUpOf: Id.nullable(),
});

export const StaffTicketView = ClientTicketView.extend({
  assigneeId: Id.nullable(),
  tags: z.array(z.string()),
  firstResponseAt: Timestamp.nullable(),
  slaDueAt: Timestamp.nullable(),
  slaBreachedAt: Timestamp.nullable(),
});

export const TicketView = z.union([StaffTicketView.strict(), ClientTicketView.strict()]);
export type TicketView = z.infer<typeof StaffTicketView> | z.infer<typeof ClientTicketView>;

export const TicketMessageView = z.object({
  id: Id,
  authorId: Id.nullable(),
  author: z.enum(['client', 'staff', 'system']),
  body: z.string(),
  /** Staff-only note: never in a client's answer. */
  internal: z.boolean(),
  createdAt: Timestamp,
});
export type TicketMessageView = z.infer<typeof TicketMessageView>;

export const TicketDetail = z.object({ ticket: TicketView, messages: z.array(TicketMessageView) });
export type TicketDetail = z.infer<typeof TicketDetail>;

/** A page of tickets, newest first; `nextCursor` asks for the next page (null on the last one). */
export const TicketPage = z.object({ items: z.array(TicketView), nextCursor: z.string().nullable() });
export type TicketPage = z.infer<typeof TicketPage>;

export const CannedReplyView = z.object({ id: Id, tenantId: Id, title: z.string(), body: z.string() });
export type CannedReplyView = z.infer<typeof CannedReplyView>;
export const CannedReplyList = z.object({ items: z.array(CannedReplyView) });

// --- notifications: templates per tenant and language, their preview, the mail log ---

export const MailLanguage = z.enum(['en', 'es']);

export const NotificationTemplateSummary = z.object({
  key: z.string(),
  description: z.string(),
  /** The template's own variables (every template may also use brandName, logoUrl, supportEmail). */
  variables: z.array(z.string()),
  /** Languages the tenant overrides (the platform's default text is used for the others). */
  overridden: z.array(MailLanguage),
});
export const NotificationTemplateList = z.object({ items: z.array(NotificationTemplateSummary) });
export type NotificationTemplateList = z.infer<typeof NotificationTemplateList>;

export const NotificationTemplateView = z.object({
  key: z.string(),
  language: MailLanguage,
  /** false: the platform's default text. */
  overridden: z.boolean(),
  subject: z.string(),
  html: z.string(),
  text: z.string(),
});
export type NotificationTemplateView = z.infer<typeof NotificationTemplateView>;

/** A template rendered with sample data in the tenant's brand (values escaped in the HTML). */
export const RenderedMailView = z.object({ subject: z.string(), html: z.string(), text: z.string() });
export type RenderedMailView = z.infer<typeof RenderedMailView>;

export const MailLogEntry = z.object({
  id: Id,
  tenantId: Id,
  clientId: Id.nullable(),
  template: z.string(),
  recipient: z.string().nullable(),
  language: z.string(),
  /** bounced: it came back for good (the address is suppressed); suppressed: not sent, the address bounced before. */
  status: z.enum(['pending', 'sent', 'failed', 'bounced', 'suppressed']),
  attempts: z.number().int(),
  /** The last failure (e.g. the SMTP server's refusal), never a credential. */
  lastError: z.string().nullable(),
  subject: z.string().nullable(),
  createdAt: Timestamp,
  sentAt: Timestamp.nullable(),
});
export type MailLogEntry = z.infer<typeof MailLogEntry>;
export const MailLogPage = z.object({ items: z.array(MailLogEntry), nextCursor: z.string().nullable() });
export type MailLogPage = z.infer<typeof MailLogPage>;

/**
 * A tenant's own outgoing mail server (without one, its mail goes through the platform's). The password
 * is write-only: only whether one is set.
 */
export const SmtpSettingsView = z.object({
  tenantId: Id,
  host: z.string(),
  port: z.number().int(),
  security: z.enum(['tls', 'starttls', 'none']),
  username: z.string().nullable(),
  passwordSet: z.boolean(),
  updatedAt: Timestamp,
  /** The last "test connection" (null until one ran since the last change). */
  lastTestAt: Timestamp.nullable(),
  lastTestOk: z.boolean().nullable(),
  lastTestError: z.string().nullable(),
});
export type SmtpSettingsView = z.infer<typeof SmtpSettingsView>;
/** A connection test: connected and authenticated (nothing is sent), or why not. */
export const SmtpTestResult = z.object({ ok: z.boolean(), error: z.string().nullable() });

/** An address a tenant no longer mails: it bounced for good. Staff lift it once the mailbox works again. */
export const MailSuppressionView = z.object({
  id: Id,
  tenantId: Id,
  email: z.string(),
  reason: z.enum(['hard_bounce']),
  /** The report's enhanced status code (RFC 3463), e.g. 5.1.1. */
  statusCode: z.string().nullable(),
  diagnostic: z.string().nullable(),
  /** The mail that bounced. */
  mailId: Id.nullable(),
  createdAt: Timestamp,
});
export type MailSuppressionView = z.infer<typeof MailSuppressionView>;
export const MailSuppressionPage = z.object({
  items: z.array(MailSuppressionView),
  nextCursor: z.string().nullable(),
});

/** What support did with a piped or received mail (dropped ones: why; nothing is written for those). */
export const InboundMailResult = z.object({
  /** bounced: a delivery status notification about one of our mails, applied. */
  status: z.enum(['appended', 'opened', 'duplicate', 'dropped', 'bounced']),
  ticketId: Id.optional(),
  bounce: z.enum(['hard', 'soft']).optional(),
  /** Files of the mail stored on the ticket (refused types and sizes are left out). */
  attachments: z.number().int().optional(),
  reason: z.string().optional(),
});
export type InboundMailResult = z.infer<typeof InboundMailResult>;

// --- outbound webhooks ---
// Deliveries are POSTed as JSON `{ id, type, createdAt, tenantId, data }` (the event) with the headers
// Geminis-Event-Id, Geminis-Event-Type, Geminis-Delivery-Id and
// `Geminis-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>]`, each v1 = HMAC-SHA256(secret, `${t}.${raw body}`)
// (two after a rotation, for a day). Verify over the raw bytes, in constant time, and refuse an old t.

export const WebhookEndpointView = z.object({
  id: Id,
  tenantId: Id,
  url: z.string(),
  eventTypes: z.array(z.string()),
  status: z.enum(['active', 'disabled']),
  disabledReason: z.string().nullable(),
  /** When it was disabled (by staff, or after repeated failures: support.webhook_endpoint.disabled.v1). */
  disabledAt: Timestamp.nullable(),
  /** Failed attempts in a row (the endpoint is disabled at the limit). */
  consecutiveFailures: z.number().int(),
  /** Until when the previous secret still signs (after a rotation), else null. */
  previousSecretExpiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type WebhookEndpointView = z.infer<typeof WebhookEndpointView>;
export const WebhookEndpointList = z.object({ items: z.array(WebhookEndpointView) });
/** Creation and rotation answers: the signing secret, shown this once. */
export const WebhookEndpointWithSecret = z.object({ endpoint: WebhookEndpointView, secret: z.string() });

export const WebhookDeliveryView = z.object({
  id: Id,
  endpointId: Id,
  eventId: Id,
  eventType: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  lastStatusCode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: Timestamp.nullable(),
  createdAt: Timestamp,
  deliveredAt: Timestamp.nullable(),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryView>;
export const WebhookDeliveryPage = z.object({
  items: z.array(WebhookDeliveryView),
  nextCursor: z.string().nullable(),
});

// --- attachments, ratings ---

export const AttachmentView = z.object({
  id: Id,
  ticketId: Id,
  filename: z.string(),
  /** Sniffed from the bytes (never the uploader's claim). */
  contentType: z.string(),
  size: z.number().int(),
  sha256: z.string(),
  author: z.enum(['client', 'staff']),
  createdAt: Timestamp,
});
export type AttachmentView = z.infer<typeof AttachmentView>;
export const AttachmentList = z.object({ items: z.array(AttachmentView) });

export const RatingView = z.object({
  score: z.number().int().min(1).max(5),
  comment: z.string().nullable(),
  ratedAt: Timestamp,
});
export type RatingView = z.infer<typeof RatingView>;
