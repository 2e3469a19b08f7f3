import {
  type CannedReplyView,
  type DepartmentView,
  type MailLogEntry,
  type TicketDetail as TicketDetailView,
  type TicketMessageView,
  type TicketView,
} from '@geminis/contracts';
import { type TicketDetail } from '../domain/tickets.service';
import { type Message, type Ticket } from '../domain/ticket';
import { type CannedReply } from '../store/canned-replies.store';
import { type Department } from '../store/departments.store';
import { type Mail } from '../store/mail.store';

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
