import { type ServiceSuspendRequested } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NoticesService } from '../domain/notices.service';

type Request = z.infer<typeof ServiceSuspendRequested.schema>;

/**
 * billing.service.suspend_requested.v1: tells the client, with a system ticket in its tenant, that its
 * service was suspended. Runs in the inbox transaction and only writes rows (the ticket, its message and
 * the opened event); the ticket is keyed by the event id, so a redelivery adds nothing.
 */
export function suspendRequestedHandler(deps: { notices: NoticesService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Request;
    await deps.notices.openSystemNotice(
      tx,
      tenantScope(event.tenantId),
      {
        clientId: data.clientId,
        subject: 'Your service was suspended',
        // billing's reason may be staff's own words: it goes to staff only, as an internal note
        message:
          'One of your services was suspended. Pay any overdue invoice, or reply to this ticket and we ' +
          'will help you restore it.',
        ...(data.reason ? { staffNote: `Suspension requested by billing: ${data.reason}` } : {}),
        priority: 'high',
        relatedServiceId: data.serviceId,
        originEventId: event.id,
      },
      { eventId: event.id, correlationId: event.correlationId },
    );
  };
}
