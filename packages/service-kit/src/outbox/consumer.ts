import { context, propagation, SpanKind, trace, type Context, type TextMapGetter } from '@opentelemetry/api';
import { type EventEnvelope, type EventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { type Bus, type Disposition, type IncomingMessage, type Subscription } from '../bus/types';
import { isTransientDatabaseError } from '../db/errors';
import { rows, type Database, type Tx } from '../db/types';
import { createBatcher } from './batcher';
import { tracingActive } from './tracing';

const tracer = trace.getTracer('@geminis/service-kit/inbox');

export interface ConsumerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A handler runs inside the inbox transaction, with the event's tenant set. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandler = (tx: Tx, event: EventEnvelope<any>) => Promise<void>;

/**
 * Applies several events of ONE type and ONE tenant (set, as for EventHandler) in the inbox transaction,
 * for effects that batch well (one multi-row statement instead of one per event). Each event given is
 * fresh (claimed in the inbox by this transaction) and must be applied exactly once.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BatchEventHandler = (tx: Tx, events: EventEnvelope<any>[]) => Promise<void>;

/** Thrown by a handler for an event that can never be applied (e.g. it contradicts our data). */
export class PermanentEventError extends Error {
  override name = 'PermanentEventError';
}

export interface EventConsumerOptions {
  db: Database;
  bus: Bus;
  registry: EventRegistry;
  /** Consumer name: the queue name and the inbox key. Usually the service name. */
  consumer: string;
  handlers: Record<string, EventHandler>;
  /**
   * Optional batch handlers by event type (a type may have one instead of, or besides, a handler): runs of
   * consecutive fresh events of that type and tenant within a batch are applied by one call. An event
   * applied alone (the batch failed and each is retried by itself) goes through it as a batch of one.
   */
  batchHandlers?: Record<string, BatchEventHandler>;
  logger?: ConsumerLogger;
  /**
   * Unacknowledged deliveries the broker sends ahead. Default maxBatch × (maxConcurrentBatches + 1): every
   * batch slot full and the next batch gathering while they commit (the bus's own default, 20, would
   * starve the batcher).
   */
  prefetch?: number;
  deliveryLimit?: number;
  /**
   * Deliveries applied together in one transaction. Default 250 (fewer statements and commits per event;
   * at a trickle a batch is whatever arrived together, so it adds no wait).
   */
  maxBatch?: number;
  /** Batch transactions in flight at once (each holds a pool client). Default 4. */
  maxConcurrentBatches?: number;
  /**
   * While the database is unavailable a delivery is held (not returned to the queue, so it uses up none
   * of its delivery attempts) and applied again after a capped backoff. Defaults 200 ms and 5 s.
   */
  unavailableRetry?: { initialDelayMs?: number; maxDelayMs?: number };
  /** A handler's own failure waits min(max, initial·2^deliveryCount) before it is returned for redelivery. */
  failureDelay?: { initialDelayMs?: number; maxDelayMs?: number };
  /**
   * This consumer's inbox rows (the ids of events it applied) processed longer ago than `retentionMs`
   * are deleted while it runs, every `intervalMs` (the first time within one interval of start), at most
   * `batch` rows per statement and `maxBatches` statements per round. Defaults 7 days (far longer than
   * any redelivery: a message goes back to the queue for seconds to minutes, within its delivery limit),
   * 1 hour, 1,000 and 50. An event delivered again after its row is gone (a dead letter replayed more
   * than `retentionMs` after it was applied) would be applied again. `retentionMs: 0` keeps every row.
   */
  inboxRetention?: { retentionMs?: number; intervalMs?: number; batch?: number; maxBatches?: number };
}

/**
 * The smallest UUIDv7 of the millisecond `ms`: every UUIDv7 minted earlier sorts below it (its first 48
 * bits are the Unix time in ms), as PostgreSQL compares uuids.
 */
export function uuidV7Floor(ms: number): string {
  const t = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0');
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-0000-0000-000000000000`;
}

/** How applying a delivery ended: a disposition for the bus, or 'unavailable' (hold it and try again). */
type Outcome = Disposition | 'unavailable';

/**
 * A delivery read as a registered, valid event; or why not (a body that is not JSON, or an envelope or
 * data that does not match its contract). Either kind is for the dead-letter queue, never a retry.
 */
export function readEvent(
  registry: EventRegistry,
  message: IncomingMessage,
): { ok: true; event: EventEnvelope } | { ok: false; error: string | undefined } {
  let raw: unknown;
  try {
    raw = JSON.parse(message.body.toString('utf8'));
  } catch {
    return { ok: false, error: undefined };
  }
  return registry.parse(raw);
}

const headerGetter: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key];
    return typeof v === 'string' ? v : undefined;
  },
};

/**
 * The inbox side of DESIGN.md §3: each event is validated (an invalid one is dead-lettered, never retried),
 * then applied in ONE transaction that first records (consumer, eventId) — a duplicate finds its row and
 * is acknowledged without effect — and the message is acked only after that transaction commits.
 *
 * Two kinds of failure, two fates:
 * - The database is unavailable (down, restarting, refusing connections or writes — isTransientDatabaseError,
 *   or any failure while a `select 1` fails too): nothing is wrong with the event. The delivery is held
 *   and applied again with capped backoff until the database is back, however long that takes; it is
 *   never returned to the queue for it, so it spends none of its delivery attempts (on RabbitMQ 3.10 every
 *   return counts). Holding prefetch-many deliveries pauses the consumer: nothing more arrives meanwhile.
 * - The handler failed because of the event (or a bug): the transaction rolls back and, after a delay
 *   growing with its delivery count, the message is returned for redelivery, up to the delivery limit,
 *   then dead-lettered (see replayDeadLetters). PermanentEventError dead-letters at once.
 */
export function createEventConsumer(options: EventConsumerOptions) {
  const { db, bus, registry, consumer, logger } = options;
  const batchHandlers = options.batchHandlers ?? {};
  const handlers: Record<string, EventHandler> = { ...options.handlers };
  for (const [type, batch] of Object.entries(batchHandlers)) {
    handlers[type] ??= (tx, event) => batch(tx, [event]);
  }
  let subscription: Subscription | undefined;

  type Prepared = { event: EventEnvelope; handler: EventHandler; ctx: Context; message: IncomingMessage };

  /** Parses and validates a delivery: an invalid one is dead-lettered, never retried. */
  function prepare(message: IncomingMessage): Prepared | 'dead-letter' {
    const parsed = readEvent(registry, message);
    if (!parsed.ok && parsed.error === undefined) {
      logger?.warn({ consumer, messageId: message.id }, 'dead-lettering a message that is not JSON');
      return 'dead-letter';
    }
    if (!parsed.ok) {
      logger?.warn(
        { consumer, messageId: message.id, error: parsed.error },
        'dead-lettering an invalid event',
      );
      return 'dead-letter';
    }
    const event = parsed.event;
    const handler = handlers[event.type];
    if (!handler) {
      logger?.warn(
        { consumer, type: event.type },
        'dead-lettering an event this consumer has no handler for',
      );
      return 'dead-letter';
    }
    // Nothing to extract (the producer had no propagator): no carrier copied, no propagator called.
    const h = message.headers;
    if (!event.traceparent && h.traceparent === undefined && h.baggage === undefined) {
      return { event, handler, ctx: context.active(), message };
    }
    const carrier: Record<string, unknown> = { ...message.headers };
    if (event.traceparent) carrier.traceparent = event.traceparent;
    if (event.tracestate) carrier.tracestate = event.tracestate;
    const ctx = propagation.extract(context.active(), carrier, headerGetter);
    return { event, handler, ctx, message };
  }

  /** Runs the event's handler in `tx` (its tenant already set), continuing the trace that wrote it. */
  function runHandler(tx: Tx, { event, handler, ctx }: Prepared): Promise<void> {
    if (!tracingActive()) {
      // No tracer: no span to start; the producer's context (if any was extracted) still reaches logs.
      return ctx === context.active() ? handler(tx, event) : context.with(ctx, () => handler(tx, event));
    }
    return context.with(ctx, () =>
      tracer.startActiveSpan(
        `${consumer} process ${event.type}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.consumer.group.name': consumer,
            'messaging.message.id': event.id,
          },
        },
        (span) => handler(tx, event).finally(() => span.end()),
      ),
    );
  }

  /**
   * A whole batch in `tx`: ONE statement claims every event of it in the inbox (those already there are
   * duplicates and get no effect), then each fresh event's handler runs with its tenant set — once per
   * tenant run, as the batch is ordered by tenant. An event twice in the same batch (published twice) is
   * applied once.
   */
  async function applyBatch(tx: Tx, ordered: Prepared[]): Promise<void> {
    const claims = JSON.stringify(ordered.map((p) => ({ id: p.event.id, type: p.event.type })));
    // The first tenant is set in the same round trip (the inbox holds no tenant data; the CTE, volatile,
    // runs once and before the rows are read).
    let tenant = ordered[0]?.event.tenantId;
    const inserted = await rows<{ event_id: string }>(
      tx,
      sql`with tenant as (select set_config('app.tenant_id', ${tenant ?? ''}, true))
          insert into inbox (consumer, event_id, event_type)
          select ${consumer}, e.id, e.type
          from tenant, jsonb_to_recordset(${claims}::jsonb) as e(id uuid, type text)
          on conflict do nothing returning event_id`,
    );
    const fresh = new Set(inserted.map((r) => r.event_id));
    // Each fresh event once (a duplicate, or the second copy within this batch, is dropped).
    const todo = ordered.filter((p) => fresh.delete(p.event.id.toLowerCase()));
    for (let i = 0; i < todo.length;) {
      const p = todo[i]!;
      if (p.event.tenantId !== tenant) {
        tenant = p.event.tenantId;
        // For this transaction only, as withTenant sets it (a UUID, checked by the envelope schema).
        await tx.execute(sql`select set_config('app.tenant_id', ${tenant}, true)`);
      }
      const batch = batchHandlers[p.event.type];
      if (!batch) {
        await runHandler(tx, p);
        i += 1;
        continue;
      }
      let end = i + 1;
      while (
        end < todo.length &&
        todo[end]!.event.type === p.event.type &&
        todo[end]!.event.tenantId === tenant
      )
        end += 1;
      const run = todo.slice(i, end);
      await tracer.startActiveSpan(
        `${consumer} process ${p.event.type} ×${run.length}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            'messaging.system': 'rabbitmq',
            'messaging.consumer.group.name': consumer,
            'messaging.batch.message_count': run.length,
          },
        },
        (span) =>
          batch(
            tx,
            run.map((r) => r.event),
          ).finally(() => span.end()),
      );
      i = end;
    }
  }

  /** Claims the event in the inbox and applies it, inside the given transaction (or savepoint). */
  async function apply(tx: Tx, p: Prepared): Promise<void> {
    const { event } = p;
    // One round trip: the event's tenant (a UUID, checked by the envelope schema) for this transaction
    // only, as withTenant sets it, and the inbox claim that makes a duplicate delivery a no-op.
    const fresh = await rows<{ event_id: string }>(
      tx,
      sql`with tenant as (select set_config('app.tenant_id', ${event.tenantId}, true))
          insert into inbox (consumer, event_id, event_type)
          select ${consumer}, ${event.id}, ${event.type} from tenant
          on conflict do nothing returning event_id`,
    );
    if (fresh.length === 0) return; // already applied: a duplicate delivery
    // The handler's work (and its queries) continues the trace of the request that wrote the event.
    await runHandler(tx, p);
  }

  async function failed(p: Prepared, err: unknown): Promise<Outcome> {
    if (isTransientDatabaseError(err) || !(await databaseAnswers())) {
      logger?.warn(
        { consumer, eventId: p.event.id, type: p.event.type, err },
        'database unavailable; holding the event until it is back',
      );
      return 'unavailable';
    }
    if (err instanceof PermanentEventError) {
      logger?.warn({ consumer, eventId: p.event.id, err }, 'dead-lettering an event that cannot be applied');
      return 'dead-letter';
    }
    logger?.error(
      { consumer, eventId: p.event.id, type: p.event.type, deliveryCount: p.message.deliveryCount, err },
      'event handler failed; will be retried',
    );
    return 'retry';
  }

  async function databaseAnswers(): Promise<boolean> {
    try {
      await db.check();
      return true;
    } catch {
      return false;
    }
  }

  /** One delivery, one transaction: applied and committed before the caller acks. */
  async function handle(message: IncomingMessage): Promise<Disposition> {
    const p = prepare(message);
    return p === 'dead-letter' ? p : settleOutcome(p, () => handlePrepared(p));
  }

  async function handlePrepared(p: Prepared): Promise<Outcome> {
    try {
      await db.transaction((tx) => apply(tx, p));
      return 'ack';
    } catch (err) {
      return failed(p, err);
    }
  }

  /**
   * Deliveries that arrive together share one transaction (one commit, one fsync), and nothing is acked
   * before it commits. If any event of the batch fails, the whole transaction rolls back and each event is
   * applied again in its own transaction, so only the failing one is retried or dead-lettered.
   */
  const maxBatch = Math.max(1, options.maxBatch ?? 250);
  const maxConcurrentBatches = Math.max(1, options.maxConcurrentBatches ?? 4);
  const prefetch = options.prefetch ?? maxBatch * (maxConcurrentBatches + 1);
  const batcher = createBatcher<Prepared, Outcome>({
    maxBatch,
    maxConcurrent: maxConcurrentBatches,
    run: async (batch) => {
      // A stable order (tenant, then event id) keeps concurrent batches from taking the same inbox rows
      // in opposite orders, and lets the tenant be set once per run of the same tenant.
      const ordered = [...batch].sort((a, b) =>
        a.event.tenantId !== b.event.tenantId
          ? a.event.tenantId < b.event.tenantId
            ? -1
            : 1
          : a.event.id < b.event.id
            ? -1
            : 1,
      );
      try {
        await db.transaction((tx) => applyBatch(tx, ordered));
        return batch.map(() => 'ack' as const);
      } catch {
        return Promise.all(batch.map((p) => handlePrepared(p)));
      }
    },
  });

  const unavailableInitial = options.unavailableRetry?.initialDelayMs ?? 200;
  const unavailableMax = options.unavailableRetry?.maxDelayMs ?? 5_000;
  const failureInitial = options.failureDelay?.initialDelayMs ?? 250;
  const failureMax = options.failureDelay?.maxDelayMs ?? 10_000;
  let stopping = false;
  const pauses = new Set<() => void>();

  /** Waits ms, or less if the consumer is stopping. */
  function pause(ms: number): Promise<void> {
    if (stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        pauses.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      pauses.add(done);
    });
  }

  /**
   * Applies until the outcome is a disposition: while the database is unavailable, the delivery is held
   * and tried again; a handler failure waits before its redelivery. Stopping returns a held delivery to
   * the queue (it then counts one delivery, as any delivery interrupted by a shutdown does).
   */
  async function settleOutcome(
    p: Prepared,
    attempt: () => Promise<Outcome>,
    first?: Outcome,
  ): Promise<Disposition> {
    for (let n = 0; ; n++) {
      const outcome = n === 0 && first !== undefined ? first : await attempt();
      if (outcome === 'retry') {
        await pause(Math.min(failureMax, failureInitial * 2 ** Math.min(p.message.deliveryCount, 16)));
        return 'retry';
      }
      if (outcome !== 'unavailable') {
        if (n > 0)
          logger?.info({ consumer, eventId: p.event.id, attempts: n + 1 }, 'database back; event applied');
        return outcome;
      }
      if (stopping) return 'retry';
      await pause(Math.min(unavailableMax, unavailableInitial * 2 ** Math.min(n, 16)));
    }
  }

  const retentionMs = options.inboxRetention?.retentionMs ?? 7 * 24 * 3600 * 1000;
  const pruneIntervalMs = options.inboxRetention?.intervalMs ?? 3600 * 1000;
  const pruneBatch = Math.max(1, options.inboxRetention?.batch ?? 1000);
  const pruneMaxBatches = Math.max(1, options.inboxRetention?.maxBatches ?? 50);
  let pruneTimer: NodeJS.Timeout | undefined;
  let pruning: Promise<unknown> | undefined;

  /**
   * Deletes this consumer's inbox rows processed before now − retentionMs, a bounded batch per statement
   * (each its own short transaction, rows other replicas are deleting skipped), until a batch comes back
   * short or maxBatches ran. Event ids are UUIDv7: the primary key's range (consumer, event_id below the
   * cutoff's floor) finds the candidates without an index on processed_at, which decides (an event minted
   * long ago may have been applied recently). Returns how many rows were deleted.
   */
  async function pruneInbox(now = Date.now()): Promise<number> {
    if (retentionMs <= 0) return 0;
    const cutoff = now - retentionMs;
    const floor = uuidV7Floor(cutoff);
    let total = 0;
    for (let n = 0; n < pruneMaxBatches; n++) {
      const [gone] = await db.transaction((tx) =>
        rows<{ n: number }>(
          tx,
          sql`with doomed as (
                select event_id from inbox
                where consumer = ${consumer} and event_id < ${floor}::uuid
                  and processed_at < to_timestamp(${cutoff / 1000})
                limit ${pruneBatch}
                for update skip locked
              ), gone as (
                delete from inbox i using doomed d
                where i.consumer = ${consumer} and i.event_id = d.event_id
                returning 1
              )
              select count(*)::int as n from gone`,
        ),
      );
      total += gone?.n ?? 0;
      if ((gone?.n ?? 0) < pruneBatch || stopping) break;
    }
    return total;
  }

  function schedulePrune(delayMs: number) {
    if (retentionMs <= 0 || stopping) return;
    pruneTimer = setTimeout(() => {
      pruneTimer = undefined;
      pruning = pruneInbox()
        .then((n) => {
          if (n > 0) logger?.info({ consumer, deleted: n }, 'pruned old inbox rows');
        })
        .catch((err: unknown) => logger?.warn({ consumer, err }, 'could not prune the inbox; will retry'))
        .finally(() => {
          pruning = undefined;
          schedulePrune(pruneIntervalMs);
        });
    }, delayMs);
    // A pending prune never keeps the process alive.
    pruneTimer.unref();
  }

  function handleBatched(message: IncomingMessage): Promise<Disposition> {
    let p: Prepared | 'dead-letter';
    try {
      p = prepare(message);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (p === 'dead-letter') return Promise.resolve(p);
    const prepared = p;
    // The common case (applied and committed) without the retry loop's frames.
    return batcher
      .submit(prepared)
      .then((first) =>
        first === 'ack' ? first : settleOutcome(prepared, () => batcher.submit(prepared), first),
      );
  }

  return {
    handle,
    pruneInbox,
    async start() {
      stopping = false;
      // Replicas started together spread their rounds over the interval.
      if (!pruneTimer) schedulePrune(Math.floor(Math.random() * pruneIntervalMs));
      subscription = await bus.subscribe(
        {
          name: consumer,
          bindings: Object.keys(handlers),
          prefetch,
          ...(options.deliveryLimit ? { deliveryLimit: options.deliveryLimit } : {}),
        },
        handleBatched,
      );
    },
    async stop() {
      stopping = true;
      clearTimeout(pruneTimer);
      pruneTimer = undefined;
      for (const wake of [...pauses]) wake();
      await subscription?.cancel();
      subscription = undefined;
      await pruning;
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
