import { type KitLogger } from '@geminis/service-kit';
import { serviceStatusHandler } from './service-status';

/** provisioning.service.suspended.v1: the account is suspended on its panel. */
export const serviceSuspendedHandler = (logger?: KitLogger) =>
  serviceStatusHandler({ from: ['active'], to: 'suspended', extra: () => ({ done: 'suspend' }) }, logger);
