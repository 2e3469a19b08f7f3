import { type KitLogger } from '@geminis/service-kit';
import { serviceStatusHandler } from './service-status';

/** provisioning.service.provisioned.v1: the account exists → active (with its username and host). */
export const serviceProvisionedHandler = (logger?: KitLogger) =>
  serviceStatusHandler(
    {
      from: ['pending', 'provisioning', 'provision_failed'],
      to: 'active',
      extra: (d) => ({
        ...(typeof d.username === 'string' ? { username: d.username } : {}),
        ...(typeof d.host === 'string' ? { host: d.host } : {}),
        lastError: null,
      }),
    },
    logger,
  );
