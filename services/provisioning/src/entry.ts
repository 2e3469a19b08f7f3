import { servicePort } from '@geminis/contracts';
import { defineServiceEntry } from '@geminis/service-kit';
import { provisioningConfigFrom, provisioningConfigShape } from './config';
import { provisioningService } from './service';

/** How provisioning runs as its own process (main.ts) and in `npm start`. */
export const provisioningEntry = defineServiceEntry({
  name: 'provisioning',
  port: servicePort('provisioning'),
  config: provisioningConfigShape,
  definition: (config) => provisioningService(provisioningConfigFrom(config)),
});
