export * from './types';
export * from './migrate';
export * from './postgres';
export * from './pglite';
export { applyTenantScope } from './tenant-context';
export { isTransientDatabaseError } from './errors';
export * from './tenancy';
