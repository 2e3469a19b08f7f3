import { servicePort } from '@geminis/contracts';
import { defineServiceEntry } from '@geminis/service-kit';
import { billingConfigFrom, billingConfigShape } from './config';
import { billingService } from './service';

/** How billing runs as its own process (main.ts) and in `npm start`. */
export const billingEntry = defineServiceEntry({
  name: 'billing',
  port: servicePort('billing'),
  config: billingConfigShape,
  definition: (config, shared) => billingService(billingConfigFrom(config, shared)),
});
