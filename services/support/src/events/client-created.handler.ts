import { type ClientCreated } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type Created = z.infer<typeof ClientCreated.schema>;

/**
 * identity.client.created.v1: support learns the client's address, name and language (every later mail
 * is addressed from this) and welcomes it in its tenant's brand.
 */
export function clientCreatedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Created;
    const scope = tenantScope(event.tenantId);
    await deps.notifications.recordRecipient(tx, scope, {
      clientId: data.clientId,
      email: data.email,
      name: data.name,
      language: data.language,
    });
    await deps.notifications.queue(tx, scope, {
      eventId: event.id,
      template: 'welcome',
      clientId: data.clientId,
      vars: {},
    });
  };
}
