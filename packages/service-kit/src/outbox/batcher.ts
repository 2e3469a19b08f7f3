/**
 * Gathers submitted items into batches of at most `maxBatch` and runs at most `maxConcurrent` batches at
 * a time: while batches are running, new items accumulate into the next one. Every submitter is settled
 * with its own result.
 */
export function createBatcher<T, R>(options: {
  maxBatch: number;
  maxConcurrent: number;
  run: (batch: T[]) => Promise<R[]>;
}) {
  let pending: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let running = 0;
  let scheduled = false;

  function flush() {
    scheduled = false;
    while (pending.length > 0 && running < options.maxConcurrent) {
      const batch = pending.slice(0, options.maxBatch);
      pending = pending.slice(options.maxBatch);
      running += 1;
      options
        .run(batch.map((b) => b.item))
        .then(
          (results) => batch.forEach((b, i) => b.resolve(results[i]!)),
          (err: unknown) => batch.forEach((b) => b.reject(err)),
        )
        .finally(() => {
          running -= 1;
          flush();
        });
    }
  }

  return {
    submit(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        pending.push({ item, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
