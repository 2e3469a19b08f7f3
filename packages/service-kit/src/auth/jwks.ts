import { createPublicKey, type KeyObject } from 'node:crypto';
import { type JwksClient } from 'jwks-rsa';

export interface JwksCacheOptions {
  uri: string;
  /** Keys are refetched when older than this. Default 10 min. */
  maxAgeMs?: number;
  /**
   * After a fetch, an unknown `kid` triggers another fetch only when this much time has passed, so a
   * flood of tokens with random kids cannot become a flood of JWKS fetches. Default 30 s.
   */
  cooldownMs?: number;
  /** Per fetch. Default 5 s. */
  timeoutMs?: number;
}

/** A kid is attacker input: only short plain strings are ever looked up. */
export const SAFE_KID = /^[A-Za-z0-9_.-]{1,100}$/;

/**
 * A cached JWKS with the semantics of jose's createRemoteJWKSet, on top of jwks-rsa (which fetches the
 * document and turns its signing keys into public keys). jwks-rsa alone caches per kid and rate-limits
 * per minute, so N random kids still cost up to `jwksRequestsPerMinute` fetches; here the whole key set
 * is cached, concurrent misses share one fetch, and a miss refetches only once per cooldown window. Only
 * RSA signing keys are kept; a kid is only ever looked up among keys fetched from the configured URL.
 *
 * jwks-rsa is loaded on the first fetch, not at import: it pulls in jose, an ES module, which jest can only
 * load with --experimental-vm-modules (as `npm test` runs it), and importing the kit must not need that.
 */
export function createJwksCache(options: JwksCacheOptions) {
  const maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
  const cooldownMs = options.cooldownMs ?? 30_000;
  let client: JwksClient | undefined;
  const jwksClient = async (): Promise<JwksClient> => {
    const { JwksClient: Client } = await import('jwks-rsa');
    return (client ??= new Client({
      jwksUri: options.uri,
      cache: false, // cached below, as a whole set
      rateLimit: false, // limited below by the cooldown
      timeout: options.timeoutMs ?? 5_000,
    }));
  };
  let keys = new Map<string, KeyObject>();
  let fetchedAt = -Infinity;
  let inFlight: Promise<void> | undefined;
  let fetches = 0;

  function refresh(): Promise<void> {
    inFlight ??= (async () => {
      try {
        fetches += 1;
        const next = new Map<string, KeyObject>();
        for (const signingKey of await (await jwksClient()).getSigningKeys()) {
          const { kid, alg } = signingKey as { kid?: string; alg?: string };
          if (!kid || !SAFE_KID.test(kid) || (alg !== undefined && alg !== 'RS256')) continue;
          const key = createPublicKey(signingKey.getPublicKey());
          if (key.asymmetricKeyType === 'rsa') next.set(kid, key);
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
    /** The trusted key for a kid, or undefined (unknown kid, or the JWKS could not be fetched). */
    async get(kid: string): Promise<KeyObject | undefined> {
      if (!SAFE_KID.test(kid)) return undefined;
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

export type JwksCache = ReturnType<typeof createJwksCache>;
