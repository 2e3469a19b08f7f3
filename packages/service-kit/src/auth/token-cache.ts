import { type AuthContext } from '../tenant';
import { type TokenVerifier } from './verifier';
import { decode } from 'jsonwebtoken';

/**
 * Remembers tokens the verifier accepted, keyed by the whole token string (signature included), for at
 * most `maxAgeMs` and never past the token's own `exp`: a busy client's repeated calls skip the RSA
 * check. Rejections are not cached. Bounded: the oldest entries go first. For verifiers that trust keys
 * from a JWKS (which already keeps a retired key until its next refresh), not for the issuer's own.
 */
export function cachedVerifier(
  verifier: TokenVerifier,
  options: { maxEntries?: number; maxAgeMs?: number } = {},
) {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 30_000;
  const cache = new Map<string, { auth: AuthContext; until: number }>();
  return {
    async verify(token: string): Promise<AuthContext> {
      const now = Date.now();
      const hit = cache.get(token);
      if (hit && hit.until > now) return hit.auth;
      if (hit) cache.delete(token);
      const auth = await verifier.verify(token);
      const exp = (decode(token) as { exp?: number } | null)?.exp;
      const until = Math.min(now + maxAgeMs, typeof exp === 'number' ? exp * 1000 : now);
      if (until > now) {
        if (cache.size >= maxEntries) cache.delete(cache.keys().next().value!);
        cache.set(token, { auth, until });
      }
      return auth;
    },
  } satisfies TokenVerifier;
}
