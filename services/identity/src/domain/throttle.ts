import {
  allTenants,
  TooManyRequestsError,
  type Database,
  type Job,
  type SingleTenantScope,
  type Tx,
} from '@geminis/service-kit';
import { clearFailures, forgetOldFailures, recordFailure, throttledFor } from '../store/throttle.store';
import { sha256 } from './crypto';

/**
 * Failed attempts slow down whoever fails, never the account's owner elsewhere (issue 12: five wrong
 * passwords from anyone used to lock any account, the platform admin's included, for 15 minutes):
 * - a password is throttled per (e-mail, source address): from the `threshold`-th failure on, that
 *   source waits 30 s, then 60 s, 120 s … up to `maxSec` before its next try; the owner signing in from
 *   another address is not affected, and unknown e-mails are throttled exactly like known ones;
 * - a second factor is throttled per account, across challenges (whoever gets there already has the
 *   password): wrong TOTP or recovery codes over fresh challenges add up the same way, and while the
 *   account's second factor is throttled even the right code is refused.
 */
export interface ThrottleRule {
  threshold: number;
  maxSec: number;
}

export const loginKey = (email: string, ip: string | undefined) =>
  sha256(`login|${email.trim().toLowerCase()}|${ip ?? 'unknown'}`);
export const secondFactorKey = (userId: string) => sha256(`2fa|${userId}`);

export const tooManyAttempts = (seconds: number) =>
  new TooManyRequestsError('identity.account_locked', 'too many failed attempts; try again later', {
    retryAfterSeconds: Math.max(1, seconds),
  });

export function createThrottle(deps: { db: Database; rule: ThrottleRule }) {
  const { db } = deps;
  const rule = {
    threshold: deps.rule.threshold,
    baseSec: 30,
    maxSec: deps.rule.maxSec,
    // A key that has not failed for twice the longest wait starts again from zero.
    forgetAfterSec: deps.rule.maxSec * 2,
  };
  return {
    /** Throws 429 with Retry-After while the key must wait. */
    async assertMayTry(scope: SingleTenantScope, key: string): Promise<void> {
      const wait = await db.withTenant(scope, (tx) => throttledFor(tx, scope, key));
      if (wait > 0) throw tooManyAttempts(wait);
    },
    /** Counts a failure; the seconds the key must now wait (0: none). */
    fail: (scope: SingleTenantScope, key: string): Promise<number> =>
      db.withTenant(scope, (tx) => recordFailure(tx, scope, key, rule)),
    succeed: (scope: SingleTenantScope, key: string): Promise<void> =>
      db.withTenant(scope, (tx) => clearFailures(tx, scope, key)),
    /** `fail` inside the caller's transaction (login counts the failure beside its audit entry). */
    failIn: (tx: Tx, scope: SingleTenantScope, key: string): Promise<number> =>
      recordFailure(tx, scope, key, rule),
    /** `succeed` inside the caller's transaction (login clears the key beside the session it opens). */
    succeedIn: (tx: Tx, scope: SingleTenantScope, key: string): Promise<void> =>
      clearFailures(tx, scope, key),
  };
}

export type Throttle = ReturnType<typeof createThrottle>;

/**
 * Once an hour, across tenants: rows of keys that have not failed for a day and wait for nothing are
 * deleted, so the table holds the recent failures only (every address that ever failed would stay).
 */
export function throttleCleanupJob(db: Database, olderThanSec = 24 * 3600): Job {
  return {
    name: 'identity.login-throttle-cleanup',
    everyMs: 5 * 60_000,
    period: (now) => now.toISOString().slice(0, 13),
    run: () => db.withTenant(allTenants, (tx) => forgetOldFailures(tx, allTenants, olderThanSec)),
  };
}
