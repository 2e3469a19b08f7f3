import { EventRegistry, type EventDefinition } from '../registry';

/** Every published event version. Adding one here makes it part of the contract (fixtures + AsyncAPI). */
export const allEvents: readonly EventDefinition[] = [];

export const eventRegistry = new EventRegistry(allEvents);
