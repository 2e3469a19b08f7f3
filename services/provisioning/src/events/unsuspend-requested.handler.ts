import { type EventHandler } from '@geminis/service-kit';
import { recordRequest } from './record-job';

/** `unsuspend_requested` from billing (ServiceUnsuspendRequested): a durable unsuspend job for the service. */
export const unsuspendRequestedHandler = (maxAttempts: number): EventHandler =>
  recordRequest('unsuspend', maxAttempts);
