import { TicketOpened, TicketReplied } from '@geminis/contracts';
import {
  newId,
  tenantScope,
  type AuthContext,
  type Database,
  type Outbox,
  type SingleTenantScope,
  type Tx,
} from '@geminis/service-kit';
import { insertMessage, listMessages } from '../store/messages.store';
import {
  deleteTicket,
  findTicket,
  insertTicket,
  listTickets,
  updateTicket,
  type TicketChange,
} from '../store/tickets.store';
import { isStaff, viewerOf, writeScope, type Viewer } from './context';
import { type DepartmentsService } from './departments.service';
import { type NotificationsService } from './notifications.service';
import { type ReplyAddresses } from './reply-token';
import { invalidField, ticketClosed, ticketNotClosed, ticketNotFound, unknownDepartment } from './errors';
import { type TicketInput, type TicketPatch, type TicketQuery } from './inputs';
import { slaDueAt, statusAfterReply, type Message, type Ticket } from './ticket';

/**
 * Runs inside a write's transaction once the ticket is known (inbound mail records its Message-ID there);
 * returning false abandons the write as a duplicate.
 */
export type OnceGuard = (tx: Tx, scope: SingleTenantScope, ticketId: string) => Promise<boolean>;

/** What inbound mail adds to a client's write, all inside the write's one transaction. */
export interface WriteHooks {
  /** Before the message: false abandons the write as a duplicate (the mail's Message-ID). */
  once?: OnceGuard;
  /**
   * After the message, in the same transaction (the mail's files): a throw rolls the message back too,
   * so there is never a message without its files nor files without their message.
   */
  after?: (tx: Tx, scope: SingleTenantScope, ticket: Ticket) => Promise<void>;
  /** A reply to a closed ticket reopens it (mail, as WHMCS and Blesta do); the API still refuses one. */
  reopenClosed?: boolean;
  /** A new ticket following up a closed one (mail to it, in a department that opens new tickets). */
  followUpOf?: string;
}

export class DuplicateDelivery extends Error {
  constructor() {
    super('already received');
  }
}

export interface TicketDetail {
  ticket: Ticket;
  messages: Message[];
  /** Whether the caller is staff (the answer then carries staff-only facts). */
  staff: boolean;
}

/**
 * Tickets: clients open them in a department they may use and talk with staff; staff answer, leave
 * internal notes, assign, tag, move and close them. Every change runs in one transaction with its event.
 */
export function createTicketsService(deps: {
  db: Database;
  outbox: Outbox;
  departments: DepartmentsService;
  /** Mails staff's public replies to the client, with the ticket's signed reply address. */
  notifications?: NotificationsService;
  replies?: ReplyAddresses;
  now?: () => Date;
}) {
  const { db, outbox, departments } = deps;
  const now = deps.now ?? (() => new Date());

  const detail = async (tx: Tx, viewer: Viewer, ticket: Ticket): Promise<TicketDetail> => {
    const staff = viewer.clientId === undefined;
    const messages = await listMessages(tx, tenantScope(ticket.tenantId), ticket.id, {
      includeInternal: staff,
    });
    return { ticket, messages, staff };
  };

  /** Runs fn on a ticket the viewer may see (locked), with a write scope of the ticket's own tenant. */
  const onTicket = <T>(
    viewer: Viewer,
    id: string,
    fn: (tx: Tx, ticket: Ticket, scope: SingleTenantScope) => Promise<T>,
  ): Promise<T> =>
    db.withTenant(viewer.scope, async (tx) => {
      const ticket = await findTicket(tx, viewer, id, { forUpdate: true });
      if (!ticket) throw ticketNotFound();
      return fn(tx, ticket, tenantScope(ticket.tenantId));
    });

  const changed = async (tx: Tx, scope: SingleTenantScope, id: string, c: TicketChange, at: Date) => {
    const t = await updateTicket(tx, scope, id, c, at);
    if (!t) throw ticketNotFound();
    return t;
  };

  async function get(auth: AuthContext, id: string, tenantId?: string): Promise<TicketDetail> {
    const viewer = viewerOf(auth, tenantId);
    return db.withTenant(viewer.scope, async (tx) => {
      const ticket = await findTicket(tx, viewer, id);
      if (!ticket) throw ticketNotFound();
      return detail(tx, viewer, ticket);
    });
  }

  return {
    /**
     * Opens a ticket with its first message: a client for itself (status open, the SLA clock running), or
     * staff for a client it names (status answered: the first word is staff's, the client is awaited).
     */
    async open(
      auth: AuthContext,
      input: TicketInput,
      tenantId?: string,
      hooks: WriteHooks = {},
    ): Promise<TicketDetail> {
      const staff = isStaff(auth);
      if (!staff && input.clientId !== undefined)
        throw invalidField('support.client_not_allowed', 'clientId', 'a client opens tickets for itself');
      if (staff && input.clientId === undefined)
        throw invalidField('support.client_required', 'clientId', 'required when staff open a ticket');
      const scope = staff ? writeScope(auth, tenantId) : tenantScope(auth.tenantId);
      const department = await departments.openable(scope.tenantId, input.departmentId, { staff });
      if (!department) throw unknownDepartment();
      const viewer: Viewer = staff ? { scope } : viewerOf(auth);
      const author = staff ? 'staff' : 'client';
      const at = now();
      return db.withTenant(scope, async (tx) => {
        const ticket = await insertTicket(tx, scope, {
          id: newId(),
          clientId: input.clientId ?? auth.userId,
          departmentId: department.id,
          subject: input.subject,
          priority: input.priority,
          status: staff ? 'answered' : 'open',
          openedBy: author,
          assigneeId: staff ? auth.userId : department.defaultAssigneeId,
          relatedServiceId: input.relatedServiceId ?? null,
          relatedInvoiceId: input.relatedInvoiceId ?? null,
          tags: [],
          slaDueAt: staff ? null : slaDueAt(at, department.firstResponseMinutes),
          ...(staff ? { firstResponseAt: at } : {}),
          ...(hooks.followUpOf ? { followUpOf: hooks.followUpOf } : {}),
          at,
        });
        if (!ticket) throw new Error('a new ticket cannot collide');
        if (hooks.once && !(await hooks.once(tx, scope, ticket.id))) throw new DuplicateDelivery();
        await insertMessage(
          tx,
          scope,
          ticket.id,
          { id: newId(), authorId: auth.userId, author, body: input.message, internal: false },
          at,
        );
        if (hooks.after) await hooks.after(tx, scope, ticket);
        if (deps.notifications)
          await deps.notifications.queue(tx, scope, {
            eventId: ticket.id,
            template: 'ticket_opened',
            clientId: ticket.clientId,
            vars: { ticketSubject: ticket.subject, message: input.message },
            ...(deps.replies ? { replyTo: deps.replies.addressFor(ticket.id, at) } : {}),
          });
        await outbox.enqueue(tx, {
          type: TicketOpened.type,
          tenantId: ticket.tenantId,
          data: {
            ticketId: ticket.id,
            clientId: ticket.clientId,
            departmentId: ticket.departmentId,
            priority: ticket.priority,
            openedBy: author,
            ...(ticket.relatedServiceId ? { relatedServiceId: ticket.relatedServiceId } : {}),
            ...(ticket.relatedInvoiceId ? { relatedInvoiceId: ticket.relatedInvoiceId } : {}),
          },
        });
        return detail(tx, viewer, ticket);
      });
    },

    async list(auth: AuthContext, q: TicketQuery): Promise<{ items: Ticket[]; nextCursor: string | null }> {
      // Assignee and SLA state are staff-only facts: a client may not even filter by them.
      if (auth.role === 'client')
        for (const field of ['assigneeId', 'breached'] as const)
          if (q[field] !== undefined) throw invalidField('support.staff_only_filter', field, 'staff only');
      const viewer = viewerOf(auth, q.tenantId);
      const page = await db.withTenant(viewer.scope, (tx) =>
        listTickets(tx, viewer, {
          ...(q.status ? { status: q.status } : {}),
          ...(q.departmentId ? { departmentId: q.departmentId } : {}),
          ...(q.assigneeId ? { assigneeId: q.assigneeId } : {}),
          ...(q.breached ? { breached: q.breached === 'true' } : {}),
          ...(q.cursor ? { before: q.cursor } : {}),
          limit: q.limit,
        }),
      );
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? last.id : null };
    },

    get,

    /** A public reply: the client's sets customer_reply, staff's sets answered (and the first response). */
    async reply(
      auth: AuthContext,
      id: string,
      message: string,
      tenantId?: string,
      hooks: WriteHooks = {},
    ): Promise<TicketDetail> {
      const viewer = viewerOf(auth, tenantId);
      const author = auth.role === 'client' ? 'client' : 'staff';
      const at = now();
      return onTicket(viewer, id, async (tx, ticket, scope) => {
        if (ticket.status === 'closed' && !hooks.reopenClosed) throw ticketClosed();
        if (hooks.once && !(await hooks.once(tx, scope, ticket.id))) throw new DuplicateDelivery();
        const m = await insertMessage(
          tx,
          scope,
          ticket.id,
          { id: newId(), authorId: auth.userId, author, body: message, internal: false },
          at,
        );
        // a closed ticket reopened by this reply takes its files once it is open again
        if (hooks.after) await hooks.after(tx, scope, { ...ticket, status: statusAfterReply(author) });
        const status = statusAfterReply(author);
        const updated = await changed(
          tx,
          scope,
          ticket.id,
          { status, ...(author === 'staff' ? { firstResponseAt: at } : {}) },
          at,
        );
        if (author === 'staff' && deps.notifications)
          await deps.notifications.queue(tx, scope, {
            eventId: m.id,
            template: 'ticket_replied',
            clientId: ticket.clientId,
            vars: { ticketSubject: ticket.subject, message },
            ...(deps.replies ? { replyTo: deps.replies.addressFor(ticket.id, at) } : {}),
          });
        await outbox.enqueue(tx, {
          type: TicketReplied.type,
          tenantId: ticket.tenantId,
          data: { ticketId: ticket.id, messageId: m.id, clientId: ticket.clientId, author, status },
        });
        return detail(tx, viewer, updated);
      });
    },

    /** An internal note: staff only, never shown to the client, changes no status, publishes nothing. */
    async note(auth: AuthContext, id: string, message: string, tenantId?: string): Promise<TicketDetail> {
      const viewer = viewerOf(auth, tenantId);
      const at = now();
      return onTicket(viewer, id, async (tx, ticket, scope) => {
        await insertMessage(
          tx,
          scope,
          ticket.id,
          { id: newId(), authorId: auth.userId, author: 'staff', body: message, internal: true },
          at,
        );
        return detail(tx, viewer, await changed(tx, scope, ticket.id, {}, at));
      });
    },

    async update(
      auth: AuthContext,
      id: string,
      patch: TicketPatch,
      tenantId?: string,
    ): Promise<TicketDetail> {
      const viewer = viewerOf(auth, tenantId);
      const at = now();
      if (patch.departmentId) {
        // The ticket's tenant decides which departments it may move to: read it first.
        const current = await db.withTenant(viewer.scope, (tx) => findTicket(tx, viewer, id));
        if (!current) throw ticketNotFound();
        const d = await departments.openable(current.tenantId, patch.departmentId, { staff: true });
        if (!d) throw unknownDepartment();
      }
      return onTicket(viewer, id, async (tx, ticket, scope) => {
        if (ticket.status === 'closed' && patch.status) throw ticketClosed();
        const updated = await changed(tx, scope, ticket.id, patch, at);
        return detail(tx, viewer, updated);
      });
    },

    async close(auth: AuthContext, id: string, tenantId?: string): Promise<TicketDetail> {
      const viewer = viewerOf(auth, tenantId);
      const at = now();
      return onTicket(viewer, id, async (tx, ticket, scope) =>
        detail(
          tx,
          viewer,
          ticket.status === 'closed' ? ticket : await changed(tx, scope, ticket.id, { status: 'closed' }, at),
        ),
      );
    },

    async reopen(auth: AuthContext, id: string, tenantId?: string): Promise<TicketDetail> {
      const viewer = viewerOf(auth, tenantId);
      const at = now();
      return onTicket(viewer, id, async (tx, ticket, scope) => {
        if (ticket.status !== 'closed') throw ticketNotClosed();
        return detail(tx, viewer, await changed(tx, scope, ticket.id, { status: 'open' }, at));
      });
    },

    async remove(auth: AuthContext, id: string, tenantId?: string): Promise<void> {
      const viewer = viewerOf(auth, tenantId);
      await onTicket(viewer, id, async (tx, ticket, scope) => {
        if (!(await deleteTicket(tx, scope, ticket.id))) throw ticketNotFound();
      });
    },
  };
}

export type TicketsService = ReturnType<typeof createTicketsService>;
