import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { sql } from 'drizzle-orm';
import { type Bus } from '../bus/types';
import { rows, type Database } from '../db/types';
import { withExtractedContext } from '../telemetry/context';
import { OUTBOX_CHANNEL } from './outbox';

const tracer = trace.getTracer('@geminis/service-kit/outbox');

interface OutboxRow {
  id: string;
  tenant_id: string;
  type: string;
  envelope: unknown;
  headers: Record<string, string>;
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
  /** Rows claimed and published concurrently per round (the in-flight bound). Default 500. */
  batchSize?: number;
  /** How often to look for work when no notification arrives (late commits, retries). Default 500 ms. */
  pollIntervalMs?: number;
  /** Backoff for a row whose publish failed: base · 2^attempts, capped, with full jitter. */
  retryBaseMs?: number;
  retryMaxMs?: number;
}

class BusDownError extends Error {
  override name = 'BusDownError';
  constructor() {
    super('the bus cannot publish now');
  }
}

export interface OutboxRelay {
  start(): Promise<void>;
  /** One round: claim, publish, mark. Returns how many rows were published. */
  relayOnce(): Promise<number>;
  /** Stops after the round in progress; nothing claimed is left half-marked. */
  stop(): Promise<void>;
}

/**
 * Drains the outbox to the bus (DESIGN.md §3). Rows are claimed with FOR UPDATE SKIP LOCKED (several
 * relays may run), published concurrently with publisher confirms, and marked published only after the
 * confirm. Unpublished rows are found by `published_at IS NULL`, never by "id > last seen", so a row that
 * commits late is still published. A crash after the confirm and before the mark republishes: consumers
 * dedupe by event id.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, bus, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const retryBaseMs = options.retryBaseMs ?? 200;
  const retryMaxMs = options.retryMaxMs ?? 30_000;

  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let pendingWake = false;
  let unlisten: (() => Promise<void>) | undefined;

  const backoffMs = (attempts: number) =>
    Math.floor(Math.random() * Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(attempts, 20)));

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
    return db.transaction(async (tx) => {
      const claimed = await rows<OutboxRow>(
        tx,
        sql`select id, tenant_id, type, envelope, headers, attempts from outbox
            where published_at is null and next_attempt_at <= clock_timestamp()
            order by created_at, id
            limit ${batchSize}
            for update skip locked`,
      );
      if (claimed.length === 0) return 0;
      const results = await Promise.allSettled(
        claimed.map((row) =>
          // The publish continues the trace of the request that wrote the event (its stored context).
          withExtractedContext(row.headers, () =>
            tracer.startActiveSpan(
              `outbox publish ${row.type}`,
              {
                kind: SpanKind.PRODUCER,
                attributes: { 'messaging.system': 'rabbitmq', 'messaging.message.id': row.id },
              },
              (span) =>
                bus
                  .publish({
                    id: row.id,
                    routingKey: row.type,
                    body: Buffer.from(JSON.stringify(row.envelope)),
                    headers: { ...row.headers, 'x-tenant-id': row.tenant_id },
                  })
                  .catch((err: unknown) => {
                    span.setStatus({ code: SpanStatusCode.ERROR });
                    throw err;
                  })
                  .finally(() => span.end()),
            ),
          ),
        ),
      );
      const published: string[] = [];
      // Publishes that failed because the connection went away say nothing about their rows: those are
      // due again as soon as the bus is back, instead of waiting out a per-row backoff after it returns.
      const busLost = results.some((r) => r.status === 'rejected') && !(await busUp());
      for (const [i, result] of results.entries()) {
        const row = claimed[i]!;
        if (result.status === 'fulfilled') {
          published.push(row.id);
          continue;
        }
        const reason = result.reason instanceof Error ? result.reason.message : String(result.reason);
        const delay = busLost ? 0 : backoffMs(row.attempts);
        await tx.execute(sql`
          update outbox set attempts = attempts + 1, last_error = ${reason.slice(0, 500)},
                 next_attempt_at = clock_timestamp() + make_interval(secs => ${delay / 1000})
          where id = ${row.id}`);
      }
      if (published.length > 0) {
        await tx.execute(sql`
          update outbox set published_at = clock_timestamp(), attempts = attempts + 1, last_error = null
          where id in (${sql.join(
            published.map((id) => sql`${id}`),
            sql`, `,
          )})`);
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

  function sleep(ms: number): Promise<void> {
    if (pendingWake) {
      pendingWake = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  function kick() {
    if (wake) wake();
    else pendingWake = true;
  }

  async function run(): Promise<void> {
    let failures = 0;
    while (running) {
      try {
        const n = await relayOnce();
        failures = 0;
        if (n === batchSize) continue; // more may be waiting
        await sleep(pollIntervalMs);
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
      loop = run();
    },
    async stop() {
      running = false;
      kick();
      await loop;
      await unlisten?.();
      unlisten = undefined;
    },
  };
}
