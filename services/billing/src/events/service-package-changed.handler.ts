import { PermanentEventError, tenantScope, type EventHandler, type KitLogger } from '@geminis/service-kit';
import { markChangeInPlace } from '../store/changes.store';

/** The event's data (validated by the consumer against the contract before the handler runs). */
interface Data {
  serviceId: string;
  changeId: string;
  productId: string;
  package?: string;
}

/**
 * provisioning.service.package_changed.v1: the change of package billing asked for is done on the panel;
 * billing records it in place (when, and on which package), in the inbox transaction — once. A change this
 * tenant does not have is a permanent error (dead-lettered for someone to look at); a repeated or
 * out-of-order result changes nothing.
 */
export const servicePackageChangedHandler =
  (logger?: KitLogger): EventHandler =>
  async (tx, event) => {
    const data = event.data as Data;
    const outcome = await markChangeInPlace(tx, tenantScope(event.tenantId), {
      changeId: data.changeId,
      serviceId: data.serviceId,
      panelPackage: data.package ?? null,
    });
    if (outcome === 'missing')
      throw new PermanentEventError(
        `no change ${data.changeId} of client service ${data.serviceId} in tenant ${event.tenantId}`,
      );
    if (outcome === 'ignored')
      logger?.info(
        { eventId: event.id, changeId: data.changeId, serviceId: data.serviceId },
        'package change already in place (or not applied): ignored',
      );
  };
