import { type EventHandler } from '@geminis/service-kit';
import { recordRequest } from './record-job';

/** `suspend_requested` from billing (ServiceSuspendRequested): a durable suspend job for the service. */
export const suspendRequestedHandler = (maxAttempts: number): EventHandler =>
  recordRequest('suspend', maxAttempts);
