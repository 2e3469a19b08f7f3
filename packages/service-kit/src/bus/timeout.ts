/**
 * Waits for `promise`, but no longer than `ms`: resolves true if it settled (either way), false on
 * timeout. For broker round trips whose reply may never come (a wedged queue, a half-dead connection):
 * the caller then gives up on them (destroys the socket) instead of hanging a shutdown forever.
 */
export async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([
      promise.then(
        () => true,
        () => true,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
