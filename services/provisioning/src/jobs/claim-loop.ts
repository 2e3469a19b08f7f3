import { allTenants, type Database, type KitLogger, type Tx } from '@geminis/service-kit';
import { JOBS_CHANNEL } from '../store/jobs.store';

/**
 * The loop both job runners share (hosting accounts and domains): claim what there is room for under a
 * lease, start each claimed job, wake on the jobs channel's notifications or when a job finishes, poll
 * otherwise, and on stop wait for the jobs in flight (each bounded by its own timeouts).
 */
export function createClaimLoop<TJob>(o: {
  db: Database;
  log: KitLogger;
  /** What is claimed, for the log line of a failed claim ("jobs", "domain jobs"). */
  what: string;
  concurrency: number;
  pollMs: number;
  claim(tx: Tx, limit: number): Promise<TJob[]>;
  execute(job: TJob): Promise<void>;
}) {
  const inFlight = new Set<Promise<void>>();
  let running = false;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let wake: (() => void) | undefined;
  // A notification (or a finished job) that came while the loop was claiming rather than waiting: the
  // claim may have looked before that job committed, so the next pause must not wait for it.
  let woken = false;
  const nudge = () => {
    woken = true;
    wake?.();
  };

  const track = (p: Promise<void>) => {
    inFlight.add(p);
    void p.finally(() => {
      inFlight.delete(p);
      nudge();
    });
  };

  /** Claims what this runner has room for and starts it; the number of jobs claimed. */
  async function claimAndStart(limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const jobs = await o.db.withTenant(allTenants, (tx) => o.claim(tx, limit));
    for (const job of jobs) track(o.execute(job));
    return jobs.length;
  }

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function runOnce(): Promise<number> {
    const n = await claimAndStart(o.concurrency - inFlight.size);
    await Promise.all([...inFlight]);
    return n;
  }

  return {
    /** Claims one round of due jobs and waits for them; the number claimed. */
    runOnce,
    /** Claims and runs due jobs until none is due (tests, and a replica draining on purpose). */
    async runDue(): Promise<number> {
      let total = 0;
      for (let n = await runOnce(); n > 0; n = await runOnce()) total += n;
      return total;
    },
    async start() {
      if (running) return;
      running = true;
      unlisten = await o.db.listen(JOBS_CHANNEL, nudge);
      loop = (async () => {
        while (running) {
          let claimed = 0;
          woken = false;
          try {
            claimed = await claimAndStart(o.concurrency - inFlight.size);
          } catch (err) {
            o.log.error({ err }, `claiming ${o.what} failed; will try again`);
          }
          if (running && (claimed === 0 || inFlight.size >= o.concurrency)) await pause(o.pollMs);
        }
      })();
    },
    /** Stops claiming and waits for the jobs in flight. */
    async stop() {
      running = false;
      nudge();
      await loop;
      await unlisten?.();
      await Promise.all([...inFlight]);
    },
  };
}
