import { type EventHandler } from '@geminis/service-kit';
import { recordRequest } from './record-job';

/** `terminate_requested` from billing (ServiceTerminateRequested): a durable terminate job for the service. */
export const terminateRequestedHandler = (maxAttempts: number): EventHandler =>
  recordRequest('terminate', maxAttempts);
