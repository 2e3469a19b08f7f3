export * from './types';
export * from './rabbitmq';
export * from './in-memory';
export { topicMatches } from './topic';
