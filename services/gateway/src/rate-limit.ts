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

export interface RateLimits {
  /** Per client IP on authentication routes (login, refresh, sign-up, password reset). */
  auth(ip: string): Promise<void>;
  /**
   * Per principal on the API: each user has its own budget (an anonymous caller, its IP's), so one
   * self-signed-up client cannot use up the platform admin's or its reseller's. A tenant's clients
   * together also share a wider ceiling; staff are never counted in it, so their clients cannot starve them.
   */
  api(caller: ApiCaller): Promise<void>;
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

  const consume = async (limiter: RateLimiterAbstract, key: string) => {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new TooManyRequestsError('rate_limit.exceeded', 'too many requests; slow down', {
          retryAfterSeconds: Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
        });
      }
      throw err; // the store failed: let the error middleware answer 500 rather than silently allow
    }
  };

  return {
    auth: (ip) => consume(auth, ip),
    async api(caller) {
      if (caller.kind === 'anonymous') return consume(principal, `ip:${caller.ip}`);
      await consume(principal, `user:${caller.userId}`);
      if (caller.role === 'client') await consume(tenantClients, `tenant:${caller.tenantId}`);
    },
  };
}
