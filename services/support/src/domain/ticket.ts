/** Tickets and their messages: types and the pure rules of their status. */
export type TicketStatus = 'open' | 'answered' | 'customer_reply' | 'on_hold' | 'closed';
export type Priority = 'low' | 'medium' | 'high' | 'urgent';
export type MessageAuthor = 'client' | 'staff' | 'system';
export type OpenedBy = 'client' | 'staff' | 'system';

export interface Ticket {
  id: string;
  tenantId: string;
  clientId: string;
  departmentId: string | null;
  subject: string;
  priority: Priority;
  status: TicketStatus;
  openedBy: OpenedBy;
  assigneeId: string | null;
  relatedServiceId: string | null;
  relatedInvoiceId: string | null;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
  firstResponseAt: Date | null;
  slaDueAt: Date | null;
  slaBreachedAt: Date | null;
  /** The closed ticket this one follows up, if a client's mail to that one opened it. */
  followUpOf: string | null;
}

export interface Message {
  id: string;
  authorId: string | null;
  author: MessageAuthor;
  body: string;
  internal: boolean;
  createdAt: Date;
}

/** The status a public reply leaves the ticket in: the client's asks staff, staff's asks the client. */
export const statusAfterReply = (author: 'client' | 'staff'): TicketStatus =>
  author === 'client' ? 'customer_reply' : 'answered';

/** First-response deadline of a ticket opened at `at` in a department with this target (minutes). */
export const slaDueAt = (at: Date, firstResponseMinutes: number | null): Date | null =>
  firstResponseMinutes === null ? null : new Date(at.getTime() + firstResponseMinutes * 60_000);
