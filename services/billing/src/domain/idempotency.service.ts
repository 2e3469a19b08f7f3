import { createHash } from 'node:crypto';
import { tenantScope, type Database, type Tx } from '@geminis/service-kit';
import {
  claimKey,
  completeKey,
  readKey,
  reclaimStaleKey,
  releaseKey,
  type KeyRef,
} from '../store/idempotency.store';
import { idempotencyInProgress, idempotencyKeyReused } from './errors';

export interface Answer<T> {
  status: number;
  body: T;
}

/** Stores the answer in the work's own transaction (so the effect and its answer commit together). */
export type Complete = (tx: Tx, answer: Answer<unknown>) => Promise<void>;

export interface IdempotentRequest {
  /** The tenant the work happens in, and the caller: keys are scoped to both. */
  tenantId: string;
  callerId: string;
  key: string | undefined;
  /** The operation and its parsed input: the same key with anything else is a 422. */
  fingerprint: unknown;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const hashOf = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/**
 * `Idempotency-Key` (Stripe's design): the first request with a key claims it, does the work and stores
 * its answer in the work's transaction; the same key and request again gets that answer (`replayed`),
 * also while the first is still running (it waits for it, then a 409 if it takes too long); the same key
 * with another request is a 422. A failed attempt gives its key back, so nothing is stored for errors.
 * A claim left running by a crashed process is taken over after `staleMs`.
 */
export function createIdempotency(deps: {
  db: Database;
  pollMs?: number;
  waitMs?: number;
  staleMs?: number;
}) {
  const { db } = deps;
  const pollMs = deps.pollMs ?? 50;
  const waitMs = deps.waitMs ?? 10_000;
  const staleMs = deps.staleMs ?? 60_000;

  /** Waits until the key is ours, or returns the answer already stored for it. */
  async function claim(ref: KeyRef, hash: string): Promise<Answer<unknown> | null> {
    const scope = tenantScope(ref.tenantId);
    for (let waited = 0; ; waited += pollMs) {
      if (await db.withTenant(scope, (tx) => claimKey(tx, ref, hash))) return null;
      const rec = await db.withTenant(scope, (tx) => readKey(tx, ref));
      if (rec && rec.requestHash !== hash) throw idempotencyKeyReused();
      if (rec?.status === 'done') return { status: rec.responseStatus ?? 200, body: rec.responseBody };
      if (
        rec &&
        rec.ageMs > staleMs &&
        (await db.withTenant(scope, (tx) => reclaimStaleKey(tx, ref, hash, staleMs)))
      )
        return null;
      if (waited >= waitMs) throw idempotencyInProgress();
      await sleep(pollMs);
    }
  }

  return async function idempotent<T>(
    req: IdempotentRequest,
    work: (complete: Complete) => Promise<Answer<T>>,
  ): Promise<Answer<T> & { replayed: boolean }> {
    if (req.key === undefined) return { ...(await work(async () => undefined)), replayed: false };
    const ref: KeyRef = { tenantId: req.tenantId, callerId: req.callerId, key: req.key };
    const hash = hashOf(req.fingerprint);
    const stored = await claim(ref, hash);
    if (stored) return { status: stored.status, body: stored.body as T, replayed: true };
    try {
      let completed = false;
      const answer = await work(async (tx, a) => {
        await completeKey(tx, ref, a.status, a.body);
        completed = true;
      });
      if (!completed)
        await db.withTenant(tenantScope(ref.tenantId), (tx) =>
          completeKey(tx, ref, answer.status, answer.body),
        );
      return { ...answer, replayed: false };
    } catch (err) {
      await db.withTenant(tenantScope(ref.tenantId), (tx) => releaseKey(tx, ref)).catch(() => undefined);
      throw err;
    }
  };
}

export type Idempotent = ReturnType<typeof createIdempotency>;
