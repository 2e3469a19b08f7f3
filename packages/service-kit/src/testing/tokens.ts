import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { newId } from '../ids';
import { type Role } from '../tenant';

export interface TestIssuer {
  issuer: string;
  audience: string;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  jwks: { keys: Record<string, unknown>[] };
  /** Signs an access token; claims and header fields can be overridden or removed (set to undefined). */
  sign(
    claims?: Partial<{
      sub: string;
      role: Role;
      tid: string;
      jti: string;
      exp: number;
      iat: number;
      iss: string;
      aud: string;
    }> &
      Record<string, unknown>,
    header?: Record<string, unknown>,
  ): string;
  /** A ready token for a role in a tenant. */
  tokenFor(role: Role, tenantId: string, userId?: string): string;
}

export interface TestIssuerOptions {
  issuer?: string;
  audience?: string;
}

/**
 * A throwaway RS256 issuer for tests: a fresh 2048-bit key pair, its JWKS document, and `sign()` for
 * access tokens (typ at+jwt, kid set) whose claims and header can be overridden, or removed with undefined.
 * Accepts `{ issuer, audience }` (or, for older call sites, the two as positional strings).
 */
export function createTestIssuer(options?: TestIssuerOptions): TestIssuer;
export function createTestIssuer(issuer?: string, audience?: string): TestIssuer;
export function createTestIssuer(first?: TestIssuerOptions | string, second?: string): TestIssuer {
  const opts = typeof first === 'string' ? { issuer: first, audience: second } : (first ?? {});
  const issuer = opts.issuer ?? 'https://identity.test';
  const audience = opts.audience ?? 'geminis';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = `test-${newId().slice(-12)}`;
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const sign: TestIssuer['sign'] = (claims = {}, header = {}) => {
    const now = Math.floor(Date.now() / 1000);
    const payload: Record<string, unknown> = {
      sub: newId(),
      role: 'client',
      tid: newId(),
      jti: newId(),
      iat: now,
      exp: now + 900,
      iss: issuer,
      aud: audience,
      ...claims,
    };
    for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
    // Header fields set to undefined are left out of the encoded header (JSON drops them).
    return jwt.sign(payload, privateKey, {
      algorithm: 'RS256',
      noTimestamp: payload.iat === undefined, // jsonwebtoken would add iat itself

      header: { alg: 'RS256', typ: 'at+jwt', kid, ...header },
    });
  };
  return {
    issuer,
    audience,
    kid,
    privateKey,
    publicKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwks: { keys: [jwk] },
    sign,
    tokenFor: (role, tenantId, userId = newId()) => sign({ role, tid: tenantId, sub: userId }),
  };
}
