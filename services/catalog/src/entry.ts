import { servicePort } from '@geminis/contracts';
import { defineServiceEntry } from '@geminis/service-kit';
import { catalogConfigFrom, catalogConfigShape } from './config';
import { catalogService } from './service';

/** How catalog runs as its own process (main.ts) and in `npm start`. */
export const catalogEntry = defineServiceEntry({
  name: 'catalog',
  port: servicePort('catalog'),
  config: catalogConfigShape,
  definition: (config, shared) => catalogService(catalogConfigFrom(config, shared)),
});
