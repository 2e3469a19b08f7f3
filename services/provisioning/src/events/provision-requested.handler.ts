import { type EventHandler } from '@geminis/service-kit';
import { recordRequest } from './record-job';

/** `provision_requested` from billing (ServiceProvisionRequested): a durable provision job for the service. */
export const provisionRequestedHandler = (maxAttempts: number): EventHandler =>
  recordRequest('provision', maxAttempts);
