import { z } from 'zod';

/** What support's routes accept (validated before a use case runs: a 400 naming every bad field). */
// PostgreSQL text cannot hold NUL: refused here as the field's error, not as a database failure.
const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');
const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .max(40)
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'letters, digits, - and _ (up to 40)');

export const DepartmentInput = z
  .object({
    name: Text(100),
    email: z.email().max(254),
    visibility: z.enum(['public', 'hidden']).default('public'),
    shared: z.boolean().default(false),
    defaultAssigneeId: z.uuid().nullable().default(null),
    firstResponseMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .nullable()
      .default(null),
    /** A client's mail to a closed ticket: `reopen` it (default) or open a `new_ticket` referring to it. */
    closedTicketMail: z.enum(['reopen', 'new_ticket']).default('reopen'),
  })
  .strict();
export type DepartmentInput = z.infer<typeof DepartmentInput>;

export const DepartmentPatch = z
  .object({
    name: Text(100),
    email: z.email().max(254),
    visibility: z.enum(['public', 'hidden']),
    shared: z.boolean(),
    defaultAssigneeId: z.uuid().nullable(),
    firstResponseMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 30)
      .nullable(),
    closedTicketMail: z.enum(['reopen', 'new_ticket']),
  })
  .partial()
  .strict();
export type DepartmentPatch = z.infer<typeof DepartmentPatch>;

export const Priority = z.enum(['low', 'medium', 'high', 'urgent']);

export const TicketInput = z
  .object({
    departmentId: z.uuid(),
    subject: Text(200),
    message: Text(20_000),
    priority: Priority.default('medium'),
    relatedServiceId: z.uuid().optional(),
    relatedInvoiceId: z.uuid().optional(),
    /** Staff opening a ticket for a client name the client (an opaque id); clients never send it. */
    clientId: z.uuid().optional(),
  })
  .strict();
export type TicketInput = z.infer<typeof TicketInput>;

export const ReplyInput = z.object({ message: Text(20_000) }).strict();
export type ReplyInput = z.infer<typeof ReplyInput>;

export const TicketPatch = z
  .object({
    status: z.enum(['open', 'on_hold']),
    priority: Priority,
    assigneeId: z.uuid().nullable(),
    departmentId: z.uuid(),
    tags: z.array(Tag).max(20),
  })
  .partial()
  .strict();
export type TicketPatch = z.infer<typeof TicketPatch>;

export const TicketQuery = z
  .object({
    tenantId: z.uuid().optional(),
    status: z.enum(['open', 'answered', 'customer_reply', 'on_hold', 'closed']).optional(),
    departmentId: z.uuid().optional(),
    assigneeId: z.uuid().optional(),
    breached: z.enum(['true', 'false']).optional(),
    cursor: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();
export type TicketQuery = z.infer<typeof TicketQuery>;

export const CannedReplyInput = z.object({ title: Text(100), body: Text(20_000) }).strict();
export type CannedReplyInput = z.infer<typeof CannedReplyInput>;
export const CannedReplyPatch = CannedReplyInput.partial().strict();
export type CannedReplyPatch = z.infer<typeof CannedReplyPatch>;

const TemplateText = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters');

export const TemplateInput = z
  .object({ subject: TemplateText(250), html: TemplateText(100_000), text: TemplateText(50_000) })
  .strict();
export type TemplateInput = z.infer<typeof TemplateInput>;
export const PreviewInput = TemplateInput.partial().strict();

export const MailLogQuery = z
  .object({
    tenantId: z.uuid().optional(),
    clientId: z.uuid().optional(),
    status: z.enum(['pending', 'sent', 'failed', 'bounced', 'suppressed']).optional(),
    cursor: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();

export const SuppressionQuery = z
  .object({
    tenantId: z.uuid().optional(),
    email: z.email().max(254).optional(),
    cursor: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();

const EventTypes = z.array(z.string().min(1).max(100)).min(1).max(20);
export const WebhookInput = z.object({ url: z.string().min(1).max(2000), eventTypes: EventTypes }).strict();
export const WebhookPatch = z
  .object({ url: z.string().min(1).max(2000), eventTypes: EventTypes, enabled: z.boolean() })
  .partial()
  .strict();
export const DeliveryQuery = z
  .object({
    tenantId: z.uuid().optional(),
    cursor: z.uuid().optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();

export const AttachmentQuery = z
  .object({ tenantId: z.uuid().optional(), ticketId: z.uuid(), filename: z.string().min(1).max(255) })
  .strict();
export const MergeInput = z.object({ intoTicketId: z.uuid() }).strict();
export const RatingInput = z
  .object({ score: z.number().int().min(1).max(5), comment: Text(2_000).optional() })
  .strict();

export const SmtpSettingsInput = z
  .object({
    host: z
      .string()
      .min(1)
      .max(253)
      .regex(/^([A-Za-z0-9-]+\.)*[A-Za-z0-9-]+$|^\[?[0-9A-Fa-f:.]+\]?$/, 'a host name or an IP address'),
    port: z.number().int().min(1).max(65_535),
    /** tls: TLS from the start (465); starttls: upgraded, required (587); none: development only. */
    security: z.enum(['tls', 'starttls', 'none']),
    username: z.string().min(1).max(254).nullable().optional(),
    /** Write-only: omitted keeps the stored one, null removes it. Never returned. */
    password: z.string().min(1).max(500).nullable().optional(),
  })
  .strict();
