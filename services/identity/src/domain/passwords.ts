import argon2 from 'argon2';
import { ValidationError } from '@geminis/service-kit';
import { createSemaphore } from './semaphore';

/** OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1. */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

/** The password policy: length (NIST 800-63B style), no composition rules, not the email, not trivial. */
export function checkPasswordPolicy(password: string, email?: string, field = 'password'): void {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN) problems.push(`must be at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) problems.push(`must be at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  if (email && (lower === email.toLowerCase() || lower === email.toLowerCase().split('@')[0]))
    problems.push('must not be the email address');
  if (new Set(password).size < 4) problems.push('must not be a repetition of a few characters');
  if (problems.length > 0) {
    throw new ValidationError('identity.weak_password', `${field} ${problems.join(', ')}`, {
      fieldErrors: problems.map((message) => ({ field, message })),
    });
  }
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Verifies; with `undefined` it verifies against a dummy hash so unknown users take as long. */
  verify(hash: string | undefined, password: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
  stats(): { running: number; waiting: number };
}

/**
 * argon2id behind a semaphore: on a 2-core box a login burst would otherwise queue on libuv's thread pool
 * and starve every other request's I/O (API4: unrestricted resource consumption).
 */
export function createPasswordHasher(concurrency = 2): PasswordHasher {
  const gate = createSemaphore(concurrency);
  let dummy: Promise<string> | undefined;
  const dummyHash = () => (dummy ??= argon2.hash('geminis-dummy-password', ARGON2_OPTIONS));
  return {
    hash: (password) => gate.run(() => argon2.hash(password, ARGON2_OPTIONS)),
    async verify(hash, password) {
      const target = hash ?? (await dummyHash());
      const ok = await gate.run(() => argon2.verify(target, password).catch(() => false));
      return hash !== undefined && ok;
    },
    needsRehash: (hash) => argon2.needsRehash(hash, ARGON2_OPTIONS),
    stats: () => gate.stats(),
  };
}
