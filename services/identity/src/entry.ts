import { servicePort } from '@geminis/contracts';
import { defineServiceEntry } from '@geminis/service-kit';
import { identityConfigFrom, identityConfigShape } from './config';
import { identityService } from './service';

/** How identity runs as its own process (main.ts) and in `npm start`. It verifies with its own keys. */
export const identityEntry = defineServiceEntry({
  name: 'identity',
  port: servicePort('identity'),
  config: identityConfigShape,
  definition: (config, shared) => identityService(identityConfigFrom(config, shared)),
});
