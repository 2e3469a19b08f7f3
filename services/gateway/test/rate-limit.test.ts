import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { createRateLimits } from '../src/rate-limit';

const outcome = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { status?: number; retryAfterSeconds?: number }) => `${e.status}:${e.retryAfterSeconds! > 0}`,
  );

describe('gateway rate limits', () => {
  it('limits per key in memory, answering 429 with a Retry-After', async () => {
    const limits = createRateLimits({ authPerMinute: 3, apiPerMinute: 100 });
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await outcome(limits.auth('10.0.0.1')));
    expect(results).toEqual(['ok', 'ok', 'ok', '429:true', '429:true']);
    expect(await outcome(limits.auth('10.0.0.2'))).toBe('ok'); // another client is not affected
  });

  it('shares one count between gateway replicas through Redis', async () => {
    const url = process.env.TEST_REDIS_URL!;
    const a = new Redis(url, { enableOfflineQueue: true });
    const b = new Redis(url, { enableOfflineQueue: true });
    try {
      const replicaA = createRateLimits({ authPerMinute: 4, apiPerMinute: 100, redis: a });
      const replicaB = createRateLimits({ authPerMinute: 4, apiPerMinute: 100, redis: b });
      const ip = `test-${randomBytes(6).toString('hex')}`;
      const results = [];
      for (let i = 0; i < 3; i++) {
        results.push(await outcome(replicaA.auth(ip)));
        results.push(await outcome(replicaB.auth(ip)));
      }
      expect(results.filter((r) => r === 'ok')).toHaveLength(4);
      expect(results.slice(4)).toEqual(['429:true', '429:true']);
    } finally {
      a.disconnect();
      b.disconnect();
    }
  });
});
