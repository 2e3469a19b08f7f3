import { EventRegistry, type EventDefinition } from '../registry';
import { billingEvents } from './billing';
import { catalogEvents } from './catalog';
import { domainEvents } from './domains';
import { identityEvents } from './identity';
import { lifecycleEvents } from './lifecycle';
import { supportEvents } from './support';

export * from './common';
export * from './identity';
export * from './catalog';
export * from './billing';
export * from './lifecycle';
export * from './support';
export * from './domains';

/** Every published event version. Adding one here makes it part of the contract (fixtures + AsyncAPI). */
export const allEvents: readonly EventDefinition[] = [
  ...identityEvents,
  ...catalogEvents,
  ...billingEvents,
  ...lifecycleEvents,
  ...supportEvents,
  ...domainEvents,
];

export const eventRegistry = new EventRegistry(allEvents);
