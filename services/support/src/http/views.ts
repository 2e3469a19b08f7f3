import {
  type CannedReplyView,
  type DepartmentView,
  type MailLogEntry,
  type MailSuppressionView,
  type TicketDetail as TicketDetailView,
  type TicketMessageView,
  type TicketView,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from '@geminis/contracts';
import { type TicketDetail } from '../domain/tickets.service';
import { type Message, type Ticket } from '../domain/ticket';
import { type CannedReply } from '../store/canned-replies.store';
import { type Department } from '../store/departments.store';
import { type Mail } from '../store/mail.store';
import { type Suppression } from '../store/suppressions.store';
import { type Delivery, type Endpoint } from '../store/webhooks.store';

/** The answers' shapes are the contract's (@geminis/contracts, http/support.ts). */
export const departmentView = (d: Department): DepartmentView => ({ ...d });

const iso = (d: Date | null) => d?.toISOString() ?? null;

/** A client's view leaves out what only staff see (assignee, tags, SLA state). */
export function ticketView(t: Ticket, staff: boolean): TicketView {
  const base = {
    id: t.id,
    tenantId: t.tenantId,
    clientId: t.clientId,
    departmentId: t.departmentId,
    subject: t.subject,
    priority: t.priority,
    status: t.status,
    relatedServiceId: t.relatedServiceId,
    relatedInvoiceId: t.relatedInvoiceId,
    openedBy: t.openedBy,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    closedAt: iso(t.closedAt),
    followUpOf: t.followUpOf,
  };
  if (!staff) return base;
  return {
    ...base,
    assigneeId: t.assigneeId,
    tags: t.tags,
    firstResponseAt: iso(t.firstResponseAt),
    slaDueAt: iso(t.slaDueAt),
    slaBreachedAt: iso(t.slaBreachedAt),
  };
}

export const messageView = (m: Message): TicketMessageView => ({
  ...m,
  createdAt: m.createdAt.toISOString(),
});

export const ticketDetailView = (d: TicketDetail): TicketDetailView => ({
  ticket: ticketView(d.ticket, d.staff),
  messages: d.messages.map(messageView),
});

export const cannedReplyView = (c: CannedReply): CannedReplyView => ({ ...c });

export const suppressionView = (x: Suppression): MailSuppressionView => ({
  ...x,
  createdAt: x.createdAt.toISOString(),
});

export const mailView = (m: Mail): MailLogEntry => ({
  id: m.id,
  tenantId: m.tenantId,
  clientId: m.clientId,
  template: m.template,
  recipient: m.recipient,
  language: m.language,
  status: m.status,
  attempts: m.attempts,
  lastError: m.lastError,
  subject: m.subject,
  createdAt: m.createdAt.toISOString(),
  sentAt: iso(m.sentAt),
});

export const webhookView = (e: Endpoint): WebhookEndpointView => ({
  id: e.id,
  tenantId: e.tenantId,
  url: e.url,
  eventTypes: e.eventTypes,
  status: e.status,
  disabledReason: e.disabledReason,
  disabledAt: iso(e.disabledAt),
  consecutiveFailures: e.consecutiveFailures,
  previousSecretExpiresAt: iso(e.previousSecretExpiresAt),
  createdAt: e.createdAt.toISOString(),
  updatedAt: e.updatedAt.toISOString(),
});

export const deliveryView = (d: Delivery): WebhookDeliveryView => ({
  id: d.id,
  endpointId: d.endpointId,
  eventId: d.eventId,
  eventType: d.eventType,
  status: d.status,
  attempts: d.attempts,
  lastStatusCode: d.lastStatusCode,
  lastError: d.lastError,
  nextAttemptAt: d.status === 'pending' ? d.nextAttemptAt.toISOString() : null,
  createdAt: d.createdAt.toISOString(),
  deliveredAt: iso(d.deliveredAt),
});
