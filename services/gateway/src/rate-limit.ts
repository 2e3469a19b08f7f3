import { TooManyRequestsError } from '@geminis/service-kit';
import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';

export interface RateLimits {
  /** Per client IP on authentication routes (login, refresh, sign-up, password reset). */
  auth(ip: string): Promise<void>;
  /** Per tenant (or per IP for anonymous storefront calls) on the API. */
  api(key: string): Promise<void>;
}

/**
 * Fixed-window limits with rate-limiter-flexible: in memory for one gateway, in Redis when several
 * replicas must share the counts. Exceeding a limit is a 429 problem with Retry-After.
 */
export function createRateLimits(options: {
  authPerMinute: number;
  apiPerMinute: number;
  redis?: Redis;
}): RateLimits {
  const make = (keyPrefix: string, points: number): RateLimiterAbstract =>
    options.redis
      ? new RateLimiterRedis({ storeClient: options.redis, keyPrefix, points, duration: 60 })
      : new RateLimiterMemory({ keyPrefix, points, duration: 60 });
  const auth = make('gw_auth', options.authPerMinute);
  const api = make('gw_api', options.apiPerMinute);

  const consume = async (limiter: RateLimiterAbstract, key: string) => {
    try {
      await limiter.consume(key);
    } catch (err) {
      if (err instanceof RateLimiterRes) {
        throw new TooManyRequestsError('rate_limit.exceeded', 'too many requests; slow down', {
          retryAfterSeconds: Math.ceil(err.msBeforeNext / 1000),
        });
      }
      throw err; // the store failed: let the error middleware answer 500 rather than silently allow
    }
  };

  return { auth: (ip) => consume(auth, ip), api: (key) => consume(api, key) };
}
