import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';

export interface JwksCacheOptions {
  uri: string;
  /** Keys are refetched when older than this. Default 10 min. */
  maxAgeMs?: number;
  /**
   * After a fetch, an unknown `kid` triggers another fetch only when this much time has passed, so a
   * flood of tokens with random kids cannot become a flood of JWKS fetches. Default 30 s.
   */
  cooldownMs?: number;
  timeoutMs?: number;
}

const KID = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * A cached JWKS (the semantics of jose's createRemoteJWKSet, for jsonwebtoken): kids are only looked up
 * among keys fetched from the configured URL, concurrent misses share one fetch, and refetches for
 * unknown kids are limited by a cooldown. jwks-rsa's limiter lets a burst of N fetches through at once,
 * which is exactly what the cooldown must prevent.
 */
export function createJwksCache(options: JwksCacheOptions) {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let fetches = 0;

  async function refresh(): Promise<void> {
    inFlight ??= (async () => {
      try {
        fetches += 1;
        const res = await fetch(options.uri, { signal: AbortSignal.timeout(options.timeoutMs ?? 5_000) });
        if (!res.ok) throw new Error(`JWKS fetch failed with ${res.status}`);
        const body = (await res.json()) as {
          keys?: (JsonWebKey & { kid?: string; use?: string; alg?: string })[];
        };
        const next = new Map<string, KeyObject>();
        for (const jwk of body.keys ?? []) {
          if (jwk.kty !== 'RSA' || !jwk.kid || !KID.test(jwk.kid)) continue;
          if (jwk.use !== undefined && jwk.use !== 'sig') continue;
          if (jwk.alg !== undefined && jwk.alg !== 'RS256') continue;
          next.set(jwk.kid, createPublicKey({ key: jwk, format: 'jwk' }));
        }
        keys = next;
      } finally {
        fetchedAt = Date.now();
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  return {
    async get(kid: string): Promise<KeyObject | undefined> {
      if (!KID.test(kid)) return undefined;
      const age = Date.now() - fetchedAt;
      if (age > maxAgeMs || (!keys.has(kid) && age > cooldownMs)) {
        await refresh().catch(() => undefined);
      } else if (inFlight) {
        await inFlight.catch(() => undefined);
      }
      return keys.get(kid);
    },
    /** How many fetches were made (diagnostics and tests). */
    fetchCount: () => fetches,
  };
}
