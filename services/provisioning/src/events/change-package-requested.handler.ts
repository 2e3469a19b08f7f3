import { type EventEnvelope } from '@geminis/contracts';
import { newId, tenantScope, type EventHandler, type Tx } from '@geminis/service-kit';
import { notifyRunners, recordJob } from '../store/jobs.store';

/**
 * `change_package_requested` from billing (ServiceChangePackageRequested): a durable change_package job per
 * changeId. The inbox drops a redelivered event; the changeId key makes the same change sent again (a new
 * event) join its job rather than run twice. Never a panel call here.
 */
export const changePackageRequestedHandler =
  (maxAttempts: number): EventHandler =>
  async (tx: Tx, event: EventEnvelope<{ changeId: string; serviceId: string; clientId: string }>) => {
    const data = event.data;
    await recordJob(tx, tenantScope(event.tenantId), {
      id: newId(),
      serviceId: data.serviceId,
      clientId: data.clientId,
      action: 'change_package',
      request: data,
      requestKey: data.changeId,
      eventId: event.id,
      correlationId: event.correlationId,
      maxAttempts,
    });
    await notifyRunners(tx);
  };
