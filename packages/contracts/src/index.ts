export * from './envelope';
export * from './registry';
export * from './events';
export * from './asyncapi';
export * from './http/identity';
export * from './http/catalog';
export * from './http/provisioning';
export * from './http/billing';
