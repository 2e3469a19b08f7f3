import { type ServiceProvisioned } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

// the extra fields of this account result (the shared factory types only the common ones)
type Provisioned = z.infer<typeof ServiceProvisioned.schema> & { username?: string; host?: string };

/**
 * provisioning.service.provisioned.v1: the client learns its service is ready, with its panel login. The
 * event carries no password and the queued mail stores none: the sender fetches the login from
 * provisioning's service-key route when it renders the mail (secretVars in service.ts).
 */
export function serviceProvisionedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Provisioned;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'service_provisioned',
      clientId: data.clientId,
      vars: { serviceId: data.serviceId, username: data.username ?? '', host: data.host ?? '' },
    });
  };
}
