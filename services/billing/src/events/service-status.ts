import { PermanentEventError, tenantScope, type EventHandler, type KitLogger } from '@geminis/service-kit';
import { transitionService, type PendingAction, type ServiceStatus } from '../store/services.store';

export interface StatusChange {
  /** The statuses this result may move a service from; anything else is stale or repeated (ignored). */
  from: readonly ServiceStatus[];
  to: ServiceStatus;
  extra?: (data: Record<string, unknown>) => {
    username?: string;
    host?: string;
    lastError?: string | null;
    /** The request this result confirms (cleared from the service once seen). */
    done?: PendingAction;
  };
}

/**
 * A provisioning result moves billing's view of the client service, in the inbox transaction (a duplicate
 * delivery is never applied twice) and only from the statuses it follows (a late or reordered result
 * changes nothing, e.g. `provisioned` after `terminated`). A service this tenant does not have is a
 * permanent error: dead-lettered for someone to look at, never retried.
 */
export function serviceStatusHandler(change: StatusChange, logger?: KitLogger): EventHandler {
  return async (tx, event) => {
    const data = event.data as { serviceId: string } & Record<string, unknown>;
    const outcome = await transitionService(
      tx,
      tenantScope(event.tenantId),
      data.serviceId,
      change.from,
      change.to,
      change.extra?.(data) ?? {},
    );
    if (outcome === 'missing')
      throw new PermanentEventError(`no client service ${data.serviceId} in tenant ${event.tenantId}`);
    if (outcome === 'ignored')
      logger?.info(
        { eventId: event.id, type: event.type, serviceId: data.serviceId },
        'stale service result ignored',
      );
  };
}
