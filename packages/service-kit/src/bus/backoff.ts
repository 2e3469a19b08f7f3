/** Capped exponential backoff with full jitter: a uniform delay in [0, min(max, initial·2^attempt)). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  return Math.random() * Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
}
