export * from './types';
export type { BusLogger } from './logger';
export { createRabbitBus, type RabbitBusOptions } from './rabbitmq';
export { createInMemoryBus, type InMemoryBus, type InMemoryBusOptions } from './in-memory';
export { topicMatches } from './topic';
export { countDeadLetters, replayDeadLetters } from './dead-letters';
