import { type KitLogger } from '@geminis/service-kit';
import { serviceStatusHandler } from './service-status';

/** provisioning.service.unsuspended.v1: the account is active again. */
export const serviceUnsuspendedHandler = (logger?: KitLogger) =>
  serviceStatusHandler({ from: ['suspended'], to: 'active', extra: () => ({ done: 'unsuspend' }) }, logger);
