import { TooManyRequestsError } from '@geminis/service-kit';
import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

/** Who is calling the API, for its rate limit: a verified user, or an anonymous client by IP. */
export type ApiCaller =
  | { kind: 'user'; userId: string; tenantId: string; role: 'admin' | 'reseller' | 'client' }
  | { kind: 'anonymous'; ip: string };

/**
 * Where the caller stands in the window that applies to it (the tightest, when several do): sent back as
 * the IETF draft's `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset` headers.
 */
export interface RateLimitState {
  limit: number;
  remaining: number;
  /** Seconds until the window starts again. */
  resetSeconds: number;
}

export interface RateLimits {
  /** Per client IP on authentication routes (login, refresh, sign-up, password reset). */
  auth(ip: string): Promise<RateLimitState>;
  /**
   * Per principal on the API: each user has its own budget (an anonymous caller, its IP's), so one
   * self-signed-up client cannot use up the platform admin's or its reseller's. A tenant's clients
   * together also share a wider ceiling; staff are never counted in it, so their clients cannot starve them.
   */
  api(caller: ApiCaller): Promise<RateLimitState>;
}

/** 429 with Retry-After; carries the state so the answer has the RateLimit-* headers too. */
export class RateLimitExceededError extends TooManyRequestsError {
  constructor(readonly state: RateLimitState) {
    super('rate_limit.exceeded', 'too many requests; slow down', { retryAfterSeconds: state.resetSeconds });
  }
}

/** The RateLimit-* headers of `state`. */
export function rateLimitHeaders(state: RateLimitState): Record<string, string> {
  return {
    'RateLimit-Limit': String(state.limit),
    'RateLimit-Remaining': String(state.remaining),
    'RateLimit-Reset': String(state.resetSeconds),
  };
}

/**
 * Fixed-window limits with rate-limiter-flexible: in memory for one gateway, in Redis when several
 * replicas must share the counts. Exceeding a limit is a 429 problem with Retry-After.
 */
export function createRateLimits(options: {
  authPerMinute: number;
  /** Per user (or anonymous IP). */
  apiPerMinute: number;
  /** Per tenant, over all its clients together; 10 × apiPerMinute by default. */
  tenantPerMinute?: number;
  redis?: Redis;
}): RateLimits {
  const make = (keyPrefix: string, points: number): RateLimiterAbstract =>
    options.redis
      ? new RateLimiterRedis({ storeClient: options.redis, keyPrefix, points, duration: 60 })
      : new RateLimiterMemory({ keyPrefix, points, duration: 60 });
  const auth = make('gw_auth', options.authPerMinute);
  const principal = make('gw_api', options.apiPerMinute);
  const tenantClients = make('gw_tenant', options.tenantPerMinute ?? options.apiPerMinute * 10);

  const stateOf = (limiter: RateLimiterAbstract, res: RateLimiterRes): RateLimitState => ({
    limit: limiter.points,
    remaining: Math.max(0, res.remainingPoints),
    resetSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
  });
  const consume = async (limiter: RateLimiterAbstract, key: string): Promise<RateLimitState> => {
    try {
      return stateOf(limiter, await limiter.consume(key));
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        const state = stateOf(limiter, err);
        throw new RateLimitExceededError(state);
      }
      throw err; // the store failed: let the error middleware answer 500 rather than silently allow
    }
  };

  return {
    auth: (ip) => consume(auth, ip),
    async api(caller) {
      if (caller.kind === 'anonymous') return consume(principal, `ip:${caller.ip}`);
      const own = await consume(principal, `user:${caller.userId}`);
      if (caller.role !== 'client') return own;
      const shared = await consume(tenantClients, `tenant:${caller.tenantId}`);
      return shared.remaining < own.remaining ? shared : own;
    },
  };
}
