import { type ServiceSuspended } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type Suspended = z.infer<typeof ServiceSuspended.schema>;

/** provisioning.service.suspended.v1: the client is told its service is suspended (no reason: staff's). */
export function serviceSuspendedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Suspended;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'service_suspended',
      clientId: data.clientId,
      vars: {},
    });
  };
}
