import { type ServiceUnsuspended } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type Unsuspended = z.infer<typeof ServiceUnsuspended.schema>;

/** provisioning.service.unsuspended.v1: the client is told its service is active again. */
export function serviceUnsuspendedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Unsuspended;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'service_unsuspended',
      clientId: data.clientId,
      vars: {},
    });
  };
}
