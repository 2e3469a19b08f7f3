import { servicePort } from '@geminis/contracts';
import { defineServiceEntry } from '@geminis/service-kit';
import { supportConfigFrom, supportConfigShape } from './config';
import { supportService } from './service';

/** How support runs as its own process (main.ts) and in `npm start`. */
export const supportEntry = defineServiceEntry({
  name: 'support',
  port: servicePort('support'),
  config: supportConfigShape,
  definition: (config, shared) => supportService(supportConfigFrom(config, shared)),
});
