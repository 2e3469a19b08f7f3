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
