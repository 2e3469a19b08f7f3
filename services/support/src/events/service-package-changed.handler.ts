import { type ServicePackageChanged } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type PackageChanged = z.infer<typeof ServicePackageChanged.schema>;

/** provisioning.service.package_changed.v1: the client is told its upgrade or downgrade is in place. */
export function servicePackageChangedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as PackageChanged;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'service_package_changed',
      clientId: data.clientId,
      vars: {},
    });
  };
}
