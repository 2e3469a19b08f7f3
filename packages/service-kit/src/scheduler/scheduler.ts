import { sql } from 'drizzle-orm';
import { rows, type Database } from '../db/types';

export interface Job {
  name: string;
  /** How often to check whether the current period still needs a run. */
  everyMs: number;
  /** The period a moment belongs to (e.g. the UTC day `2026-11-25`); the job runs once per period. */
  period: (now: Date) => string;
  /** Must be idempotent for its period: it may run again after a crash or a failure. */
  run: (period: string) => Promise<void>;
  /** How long a claimed run may take before another replica may take it over. Default 15 min. */
  leaseMs?: number;
}

export interface SchedulerLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export const dailyUtc = (now: Date): string => now.toISOString().slice(0, 10);
export const hourlyUtc = (now: Date): string => now.toISOString().slice(0, 13);

/**
 * Periodic jobs that run once per period across replicas. The claim is made under a transaction-level
 * advisory lock, and recorded as a lease in scheduler_runs: a replica that finds the period done or
 * leased by someone else skips it; a failed or expired run is taken again.
 */
export function createScheduler(deps: { db: Database; logger?: SchedulerLogger; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const timers: NodeJS.Timeout[] = [];
  const inFlight = new Set<Promise<unknown>>();

  async function claim(job: Job, period: string): Promise<boolean> {
    const leaseMs = job.leaseMs ?? 15 * 60_000;
    return deps.db.transaction(async (tx) => {
      const [lock] = await rows<{ ok: boolean }>(
        tx,
        sql`select pg_try_advisory_xact_lock(hashtext(${'geminis.job.' + job.name})) as ok`,
      );
      if (!lock?.ok) return false;
      const claimed = await rows<{ job: string }>(
        tx,
        sql`insert into scheduler_runs (job, period, status, lease_until)
            values (${job.name}, ${period}, 'running', clock_timestamp() + make_interval(secs => ${leaseMs / 1000}))
            on conflict (job, period) do update
              set status = 'running', attempts = scheduler_runs.attempts + 1, last_error = null,
                  lease_until = excluded.lease_until, started_at = clock_timestamp()
              where scheduler_runs.status = 'failed'
                 or (scheduler_runs.status = 'running' and scheduler_runs.lease_until < clock_timestamp())
            returning job`,
      );
      return claimed.length > 0;
    });
  }

  /** Runs the job for the current period if no replica has done (or is doing) it. */
  async function tick(job: Job): Promise<'ran' | 'skipped'> {
    const period = job.period(now());
    if (!(await claim(job, period))) return 'skipped';
    try {
      await job.run(period);
      await deps.db.transaction((tx) =>
        tx.execute(sql`update scheduler_runs set status = 'done', finished_at = clock_timestamp()
                       where job = ${job.name} and period = ${period}`),
      );
      deps.logger?.info({ job: job.name, period }, 'scheduled job done');
      return 'ran';
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await deps.db.transaction((tx) =>
        tx.execute(sql`update scheduler_runs set status = 'failed', last_error = ${message.slice(0, 500)}
                       where job = ${job.name} and period = ${period}`),
      );
      deps.logger?.error({ job: job.name, period, err }, 'scheduled job failed; it will be retried');
      throw err;
    }
  }

  return {
    tick,
    schedule(job: Job) {
      const fire = () => {
        const p = tick(job).catch(() => undefined);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      };
      timers.push(setInterval(fire, job.everyMs));
      setImmediate(fire);
    },
    async stop() {
      timers.splice(0).forEach(clearInterval);
      await Promise.allSettled([...inFlight]);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
