import { type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError } from '../errors';
import { type AuthContext, type Role } from '../tenant';
import { createJwksCache } from './jwks';

export interface TokenVerifier {
  verify(token: string): Promise<AuthContext>;
}

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  /** Where the issuer publishes its keys. Either this or keyResolver. */
  jwksUri?: string;
  jwksCooldownMs?: number;
  /** For the issuer itself: look a kid up among its own keys. */
  keyResolver?: (kid: string) => Promise<KeyObject | string | undefined>;
  clockToleranceSec?: number;
}

/** Access tokens are RS256 JWTs typed `at+jwt` (RFC 9068): nothing else is accepted as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHMS: jwt.Algorithm[] = ['RS256'];
const ROLES: readonly Role[] = ['admin', 'reseller', 'client'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KID = /^[A-Za-z0-9_.-]{1,100}$/;

const invalid = (why: string) =>
  new UnauthenticatedError('auth.invalid_token', `invalid access token: ${why}`);

/**
 * Verifies access tokens the same way everywhere (gateway and every service): algorithm pinned to RS256,
 * `typ` at+jwt, a `kid` chosen only among trusted keys, issuer and audience checked, and `exp`, `iat`,
 * `sub`, `tid`, `role`, `jti` REQUIRED (jsonwebtoken alone accepts a token without `exp`). Every failure
 * is a 401, never a 500.
 */
export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const jwks = options.jwksUri
    ? createJwksCache({
        uri: options.jwksUri,
        ...(options.jwksCooldownMs !== undefined ? { cooldownMs: options.jwksCooldownMs } : {}),
      })
    : undefined;
  const resolve = options.keyResolver ?? ((kid: string) => jwks!.get(kid));
  if (!options.keyResolver && !jwks) throw new Error('createTokenVerifier needs jwksUri or keyResolver');

  return {
    async verify(token) {
      const decoded = jwt.decode(token, { complete: true });
      if (!decoded || typeof decoded.payload === 'string') throw invalid('malformed');
      const { header } = decoded;
      if (!ALGORITHMS.includes(header.alg as jwt.Algorithm))
        throw invalid(`algorithm ${header.alg} not allowed`);
      if (header.typ !== ACCESS_TOKEN_TYPE) throw invalid('not an access token');
      if (typeof header.kid !== 'string' || !KID.test(header.kid)) throw invalid('missing or malformed kid');
      let key: KeyObject | string | undefined;
      try {
        key = await resolve(header.kid);
      } catch {
        key = undefined;
      }
      if (!key) throw invalid('unknown signing key');
      let payload: jwt.JwtPayload;
      try {
        const verified = jwt.verify(token, key, {
          algorithms: ALGORITHMS,
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: options.clockToleranceSec ?? 30,
        });
        if (typeof verified === 'string') throw new Error('string payload');
        payload = verified;
      } catch (err) {
        throw invalid(err instanceof Error ? err.message : 'verification failed');
      }
      if (typeof payload.exp !== 'number') throw invalid('exp is required');
      if (typeof payload.iat !== 'number') throw invalid('iat is required');
      if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) throw invalid('sub is required');
      const tid: unknown = payload.tid;
      if (typeof tid !== 'string' || !UUID.test(tid)) throw invalid('tid is required');
      const role: unknown = payload.role;
      if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw invalid('role is required');
      if (typeof payload.jti !== 'string' || payload.jti.length === 0) throw invalid('jti is required');
      return { userId: payload.sub, role: role as Role, tenantId: tid, tokenId: payload.jti };
    },
  };
}
