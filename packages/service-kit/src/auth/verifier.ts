import { type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { UnauthenticatedError } from '../errors';
import { type AuthContext, type Role } from '../tenant';
import { createJwksCache, SAFE_KID } from './jwks';

export interface TokenVerifier {
  verify(token: string): Promise<AuthContext>;
}

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  /** Pinned: access tokens are RS256 only; the option exists to make the pin explicit at call sites. */
  algorithms?: readonly 'RS256'[];
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

const invalid = (why: string, cause?: unknown) =>
  new UnauthenticatedError('auth.invalid_token', `invalid access token: ${why}`, { cause });

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
  if (!options.keyResolver && !jwks) throw new Error('createTokenVerifier needs jwksUri or keyResolver');
  const resolve = options.keyResolver ?? ((kid: string) => jwks?.get(kid) ?? Promise.resolve(undefined));
  if (options.algorithms && options.algorithms.some((a) => a !== 'RS256')) {
    throw new Error('access tokens are RS256 only');
  }
  const tolerance = options.clockToleranceSec ?? 30;

  async function check(token: string): Promise<AuthContext> {
    const decoded = jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded.payload === 'string') throw invalid('malformed');
    const { header } = decoded;
    if (!ALGORITHMS.includes(header.alg as jwt.Algorithm))
      throw invalid(`algorithm ${header.alg} not allowed`);
    if (header.typ !== ACCESS_TOKEN_TYPE) throw invalid('not an access token');
    if (typeof header.kid !== 'string' || !SAFE_KID.test(header.kid))
      throw invalid('missing or malformed kid');
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
        clockTolerance: tolerance,
      });
      if (typeof verified === 'string') throw new Error('string payload');
      payload = verified;
    } catch (err) {
      // The caller learns "expired" or "invalid"; the library's reason (expected aud, …) stays a cause.
      throw invalid(err instanceof jwt.TokenExpiredError ? 'expired' : 'signature or claims invalid', err);
    }
    if (typeof payload.exp !== 'number') throw invalid('exp is required');
    if (typeof payload.iat !== 'number') throw invalid('iat is required');
    if (payload.iat > Date.now() / 1000 + tolerance) throw invalid('issued in the future');
    if (typeof payload.sub !== 'string' || !UUID.test(payload.sub)) throw invalid('sub is required');
    const tid: unknown = payload.tid;
    if (typeof tid !== 'string' || !UUID.test(tid)) throw invalid('tid is required');
    const role: unknown = payload.role;
    if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw invalid('role is required');
    if (typeof payload.jti !== 'string' || payload.jti.length === 0) throw invalid('jti is required');
    const sid: unknown = payload.sid;
    return {
      userId: payload.sub,
      role: role as Role,
      tenantId: tid,
      tokenId: payload.jti,
      issuedAt: payload.iat,
      ...(typeof sid === 'string' && UUID.test(sid) ? { sessionId: sid } : {}),
    };
  }

  return {
    async verify(token) {
      try {
        return await check(token);
      } catch (err) {
        // Whatever goes wrong with a token is the caller's 401, never a 500.
        throw err instanceof UnauthenticatedError ? err : invalid('malformed', err);
      }
    },
  };
}
