import { type KitLogger } from '@geminis/service-kit';
import { serviceStatusHandler } from './service-status';

/** provisioning.service.terminated.v1: the account is gone for good (from any live status). */
export const serviceTerminatedHandler = (logger?: KitLogger) =>
  serviceStatusHandler(
    {
      from: ['pending', 'provisioning', 'active', 'provision_failed', 'suspended', 'cancelled'],
      to: 'terminated',
      extra: () => ({ done: 'terminate' }),
    },
    logger,
  );
