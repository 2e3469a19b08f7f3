export * from './verifier';
export * from './scope';
export { createJwksCache } from './jwks';
export * from './revocations';
export { cachedVerifier } from './token-cache';
