import {
  ServiceSuspendRequested,
  ServiceTerminateRequested,
  ServiceUnsuspendRequested,
} from '@geminis/contracts';
import { type Outbox, type Tx } from '@geminis/service-kit';
import { type ClientService, type PendingAction } from '../store/services.store';

const TYPES: Record<PendingAction, string> = {
  suspend: ServiceSuspendRequested.type,
  unsuspend: ServiceUnsuspendRequested.type,
  terminate: ServiceTerminateRequested.type,
};

/** Asks provisioning to act on a service's account, through the outbox of the caller's transaction. */
export function enqueueRequest(
  tx: Tx,
  outbox: Outbox,
  action: PendingAction,
  s: ClientService,
  reason: string,
  cause: { correlationId?: string; causationId?: string } = {},
) {
  return outbox.enqueue(tx, {
    type: TYPES[action],
    tenantId: s.tenantId,
    data: { serviceId: s.id, clientId: s.clientId, module: s.module, reason: reason.slice(0, 500) },
    ...cause,
  });
}
