import { type KitLogger } from '@geminis/service-kit';
import { serviceStatusHandler } from './service-status';

/** provisioning.service.provision_failed.v1: staff see the service as failed, with the reason. */
export const serviceProvisionFailedHandler = (logger?: KitLogger) =>
  serviceStatusHandler(
    {
      from: ['pending', 'provisioning'],
      to: 'provision_failed',
      extra: (d) => ({ lastError: typeof d.error === 'string' ? d.error : 'provisioning failed' }),
    },
    logger,
  );
