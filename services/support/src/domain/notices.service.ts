import { TicketOpened } from '@geminis/contracts';
import { newId, type Outbox, type SingleTenantScope, type Tx } from '@geminis/service-kit';
import { insertMessage } from '../store/messages.store';
import { insertTicket } from '../store/tickets.store';
import { type Ticket } from './ticket';

export interface SystemNotice {
  clientId: string;
  subject: string;
  /** What the client reads. */
  message: string;
  /** What only staff read (an internal note), if anything. */
  staffNote?: string;
  priority: Ticket['priority'];
  relatedServiceId?: string;
  /** The event that asked for it: one notice per event. */
  originEventId: string;
}

/** Notices the system opens for a client as tickets (e.g. its service was suspended), from events. */
export function createNoticesService(deps: { outbox: Outbox; now?: () => Date }) {
  const { outbox } = deps;
  const now = deps.now ?? (() => new Date());

  /**
   * A notice opened by the system for a client (e.g. its service was suspended), in the caller's
   * transaction (an event handler's inbox transaction). Undefined when this event already opened one.
   */
  async function openSystemNotice(
    tx: Tx,
    scope: SingleTenantScope,
    notice: SystemNotice,
    causation: { eventId: string; correlationId: string },
  ): Promise<Ticket | undefined> {
    const at = now();
    const ticket = await insertTicket(tx, scope, {
      id: newId(),
      clientId: notice.clientId,
      departmentId: null,
      subject: notice.subject,
      priority: notice.priority,
      // a notice waits for the client, like a staff answer (and auto-closes like one)
      status: 'answered',
      openedBy: 'system',
      assigneeId: null,
      relatedServiceId: notice.relatedServiceId ?? null,
      relatedInvoiceId: null,
      tags: ['system'],
      slaDueAt: null,
      originEventId: notice.originEventId,
      at,
    });
    if (!ticket) return undefined;
    await insertMessage(
      tx,
      scope,
      ticket.id,
      { id: newId(), authorId: null, author: 'system', body: notice.message, internal: false },
      at,
    );
    if (notice.staffNote)
      await insertMessage(
        tx,
        scope,
        ticket.id,
        { id: newId(), authorId: null, author: 'system', body: notice.staffNote, internal: true },
        at,
      );
    await outbox.enqueue(tx, {
      type: TicketOpened.type,
      tenantId: ticket.tenantId,
      correlationId: causation.correlationId,
      causationId: causation.eventId,
      data: {
        ticketId: ticket.id,
        clientId: ticket.clientId,
        departmentId: null,
        priority: ticket.priority,
        openedBy: 'system',
        ...(ticket.relatedServiceId ? { relatedServiceId: ticket.relatedServiceId } : {}),
      },
    });
    return ticket;
  }

  return { openSystemNotice };
}

export type NoticesService = ReturnType<typeof createNoticesService>;
