import { type EventEnvelope } from '@geminis/contracts';
import { newId, tenantScope, type EventHandler, type Tx } from '@geminis/service-kit';
import { notifyRunners, recordJob, type Job } from '../store/jobs.store';

/**
 * What every requested action's handler does, inside the inbox transaction (so a redelivered event makes
 * no second job): record the job and wake the runners when it commits. Never a panel call here.
 */
export const recordRequest =
  (action: Job['action'], maxAttempts: number): EventHandler =>
  async (
    tx: Tx,
    event: EventEnvelope<{ serviceId: string; clientId?: string; client?: { clientId: string } }>,
  ) => {
    const data = event.data;
    await recordJob(tx, tenantScope(event.tenantId), {
      id: newId(),
      serviceId: data.serviceId,
      clientId: data.clientId ?? data.client!.clientId,
      action,
      request: data,
      eventId: event.id,
      correlationId: event.correlationId,
      maxAttempts,
    });
    await notifyRunners(tx);
  };
