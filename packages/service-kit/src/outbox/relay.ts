import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import { BusRefusedError, BusUnavailableError, type Bus, type OutgoingMessage } from '../bus/types';
import { rows, type Database } from '../db/types';
import { allTenants } from '../tenant';
import { withExtractedContext } from '../telemetry/context';
import { OUTBOX_CHANNEL } from './outbox';
import { tracingActive } from './tracing';

const tracer = trace.getTracer('@geminis/service-kit/outbox');

function inStoredContext<T>(headers: Record<string, string> | null, fn: () => T): T {
  for (const _ in headers) return withExtractedContext(headers, fn);
  return fn();
}

interface OutboxRow {
  id: string;
  type: string;
  /** The stored envelope as JSON text: published as it is, never parsed and serialized again. */
  envelope: string;
  /** The stored trace context; null when there is none (most rows: nothing to parse or extract). */
  headers: Record<string, string> | null;
  attempts: number;
}

export interface RelayLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxRelayOptions {
  db: Database;
  bus: Bus;
  logger?: RelayLogger;
  /** Rows claimed per batch. Default 500. */
  batchSize?: number;
  /**
   * Batches in flight at once, each in its own transaction (its rows locked, SKIP LOCKED keeps them
   * disjoint): while one waits for its confirms, the next is claimed and published, so the confirm window
   * never runs dry between batches. In flight at most batchSize × maxInFlightBatches unconfirmed
   * messages. Default 4.
   */
  maxInFlightBatches?: number;
  /** How often to look for work when no notification arrives (late commits, retries). Default 500 ms. */
  pollIntervalMs?: number;
  /** Backoff for a row whose publish failed: base · 2^attempts, capped, with full jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /**
   * Keep a confirmed row, marked published_at, instead of deleting it (tests that read what a service
   * emitted from its outbox). Default false: the outbox holds only what is still to be published — a
   * delete costs PostgreSQL less than the update (a new row version and its index entries), and published
   * rows are not kept forever (nothing pruned them).
   */
  keepPublished?: boolean;
}

class BusDownError extends Error {
  override name = 'BusDownError';
  constructor() {
    super('the bus cannot publish now');
  }
}

/**
 * How long a row whose publish failed waits before it is claimed again. A publish lost with the bus
 * (connection or channel gone, confirm timed out) says nothing about its row: due again at once, as soon as
 * the bus is back (the relay's own pacing — a round every 250 ms while the bus is down — keeps it from
 * spinning). A failure of the message itself (unroutable, returned), or a publish the connected broker
 * refused (a nack: its queue is full and rejects publishes), backs off on the row, exponentially with its
 * attempts, with equal jitter (at least half the step: the broker is not asked again at every poll while it
 * keeps refusing).
 */
export function retryDelayMs(
  reason: unknown,
  busLost: boolean,
  attempts: number,
  baseMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  if (busLost || (reason instanceof BusUnavailableError && !(reason instanceof BusRefusedError))) return 0;
  const step = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 20));
  return Math.floor(step / 2 + random() * (step / 2));
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** One batch: claim, publish, delete what was confirmed. Returns how many rows were published. */
  relayOnce(): Promise<number>;
  /** Stops after the batches in progress (each bounded by the bus's confirm timeout); nothing claimed is
   * left half-done. */
  stop(): Promise<void>;
}

/**
 * Drains the outbox to the bus (DESIGN.md §3). Rows are claimed with FOR UPDATE SKIP LOCKED (several
 * relays may run), published concurrently with publisher confirms, and deleted only after the confirm (a
 * nack, return or timeout leaves the row, retried later). Every row still in the outbox is unpublished; it
 * is found by the claim, never by "id > last seen", so a row that commits late is still published. A
 * crash after the confirm and before the delete republishes: consumers dedupe by event id.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const maxInFlight = Math.max(1, options.maxInFlightBatches ?? 4);
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 30_000;
  const keepPublished = options.keepPublished ?? false;

  let running = false;
  let loop: Promise<void> | undefined;
  let unlisten: (() => Promise<void>) | undefined;

  /** Whether the bus can publish now; while it cannot, nothing is claimed and no row spends an attempt. */
  async function busUp(): Promise<boolean> {
    try {
      await bus.check();
      return true;
    } catch {
      return false;
    }
  }

  async function relayOnce(): Promise<number> {
    if (!(await busUp())) throw new BusDownError();
    // The outbox is under the tenant policy; the relay is the one reader of every tenant's events (the
    // scope is set with BEGIN, in its round trip).
    return db.withTenant(allTenants, async (tx) => {
      // The claim walks outbox_pending in its order and stops at the batch. Without these (this
      // transaction only) the planner, misled by the row-level security filter's selectivity, reads and
      // sorts every pending row for each batch, which makes draining a backlog quadratic.
      // The delete's commit does not wait for its WAL flush: a delete lost in a crash only republishes its
      // rows (confirmed already), as a crash between the confirm and the delete does; consumers dedupe by id.
      await tx.execute(sql`select set_config('enable_seqscan', 'off', true),
        set_config('enable_bitmapscan', 'off', true), set_config('enable_sort', 'off', true),
        set_config('synchronous_commit', 'off', true)`);
      const claimed = await rows<OutboxRow>(
        tx,
        sql`select id, type, envelope::text as envelope,
                   case when headers::text <> '{}' then headers end as headers, attempts from outbox
            where published_at is null and next_attempt_at <= statement_timestamp()
            order by next_attempt_at, created_at
            limit ${batchSize}
            for update skip locked`,
      );
      if (claimed.length === 0) return 0;
      // Headers only for a stored trace context: the tenant is in the envelope (consumers read it there),
      // and an AMQP header table costs an encoding here and a decoding in every consumer, per message.
      const message = (row: OutboxRow): OutgoingMessage =>
        row.headers
          ? { id: row.id, routingKey: row.type, body: Buffer.from(row.envelope), headers: row.headers }
          : { id: row.id, routingKey: row.type, body: Buffer.from(row.envelope) };
      const results = await Promise.allSettled(
        tracingActive()
          ? claimed.map((row) =>
              // The publish continues the trace of the request that wrote the event (its stored context;
              // none stored when no propagator was registered, and then nothing to extract per row).
              inStoredContext(row.headers, () =>
                tracer.startActiveSpan(
                  `outbox publish ${row.type}`,
                  {
                    kind: SpanKind.PRODUCER,
                    attributes: { 'messaging.system': 'rabbitmq', 'messaging.message.id': row.id },
                  },
                  (span) => {
                    const published = bus.publish(message(row));
                    published.then(
                      () => span.end(),
                      () => {
                        span.setStatus({ code: SpanStatusCode.ERROR });
                        span.end();
                      },
                    );
                    return published;
                  },
                ),
              ),
            )
          : claimed.map((row) => bus.publish(message(row))),
      );
      const published: string[] = [];
      // Publishes that failed because the bus went away say nothing about their rows: those are due again
      // as soon as it is back (retryDelayMs).
      const busLost = results.some((r) => r.status === 'rejected') && !(await busUp());
      for (const [i, result] of results.entries()) {
        const row = claimed[i]!;
        if (result.status === 'fulfilled') {
          published.push(row.id);
          continue;
        }
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        const delay = retryDelayMs(result.reason, busLost, row.attempts, retryBaseMs, retryMaxMs);
        await tx.execute(sql`
          update outbox set attempts = attempts + 1, last_error = ${reason.slice(0, 500)},
                 next_attempt_at = clock_timestamp() + make_interval(secs => ${delay / 1000})
          where id = ${row.id}`);
      }
      if (published.length > 0) {
        await tx.execute(
          keepPublished
            ? sql`
              update outbox set published_at = clock_timestamp(), attempts = attempts + 1, last_error = null
              where id = any(${sql.param(published)}::uuid[])`
            : sql`delete from outbox where id = any(${sql.param(published)}::uuid[])`,
        );
      }
      if (published.length < claimed.length) {
        logger?.warn(
          { failed: claimed.length - published.length, published: published.length },
          'outbox publish failed for some events; they will be retried',
        );
      }
      return published.length;
    });
  }

  // Idle workers wait here; a notification (or a worker that found a full batch) wakes one of them. Kicks
  // that find no idle worker are remembered (up to one per worker), so a commit is never missed.
  const idle: (() => void)[] = [];
  let pendingKicks = 0;
  let stopWaiters: (() => void)[] = [];

  function kick() {
    const w = idle.shift();
    if (w) w();
    else pendingKicks = Math.min(pendingKicks + 1, maxInFlight);
  }

  /** Waits for a kick, or `ms` (undefined: only a kick or stop). */
  function waitForWork(ms: number | undefined): Promise<void> {
    // A worker that was publishing when stop() woke the waiters must not start waiting after it.
    if (!running) return Promise.resolve();
    if (pendingKicks > 0) {
      pendingKicks -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        const i = idle.indexOf(done);
        if (i >= 0) idle.splice(i, 1);
        stopWaiters = stopWaiters.filter((w) => w !== done);
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      idle.push(done);
      stopWaiters.push(done);
    });
  }

  function sleep(ms: number): Promise<void> {
    if (!running) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stopWaiters = stopWaiters.filter((w) => w !== done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stopWaiters.push(done);
    });
  }

  /**
   * One of maxInFlight workers. Worker 0 also polls (late commits, rows whose retry is due); the others
   * run only when kicked: by a notification, or by a worker whose batch was full (more is waiting), so a
   * backlog is drained by every worker at once and a trickle by one.
   */
  async function worker(index: number): Promise<void> {
    let failures = 0;
    while (running) {
      try {
        const n = await relayOnce();
        failures = 0;
        if (n === batchSize) {
          kick(); // more is waiting: another worker claims the next batch while this one goes on
          continue;
        }
        await waitForWork(index === 0 ? pollIntervalMs : undefined);
      } catch (err) {
        if (err instanceof BusDownError) {
          // Check again soon: the backlog drains within moments of the broker's return.
          await sleep(Math.min(pollIntervalMs, 250));
          continue;
        }
        failures += 1;
        logger?.error({ err }, 'outbox relay round failed');
        await sleep(Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures, 10)));
      }
    }
  }

  return {
    relayOnce,
    async start() {
      if (running) return;
      running = true;
      try {
        unlisten = await db.listen(OUTBOX_CHANNEL, kick);
      } catch (err) {
        logger?.warn({ err }, 'outbox relay could not LISTEN; polling only');
      }
      loop = Promise.all(Array.from({ length: maxInFlight }, (_, i) => worker(i))).then(() => undefined);
    },
    async stop() {
      running = false;
      for (const wake of [...stopWaiters]) wake();
      await loop;
      await unlisten?.();
      unlisten = undefined;
    },
  };
}
