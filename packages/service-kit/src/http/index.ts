export * from './router';
export * from './problem';
export * from './app';
export * from './server';
export * from './openapi';
export * from './request';
export * from './input-guard';
