import { context, propagation, type Context, type TextMapGetter } from '@opentelemetry/api';
import { type EventEnvelope, type EventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { type Bus, type Disposition, type IncomingMessage, type Subscription } from '../bus/types';
import { rows, type Database, type Tx } from '../db/types';
import { createBatcher } from './batcher';

export interface ConsumerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** A handler runs inside the inbox transaction, with the event's tenant set. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventHandler = (tx: Tx, event: EventEnvelope<any>) => Promise<void>;

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
  logger?: ConsumerLogger;
  prefetch?: number;
  deliveryLimit?: number;
  /** Deliveries applied in one transaction (each in its own savepoint). Default 50. */
  maxBatch?: number;
}

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
 * A handler failure rolls everything back and the message is retried up to the delivery limit.
 */
export function createEventConsumer(options: EventConsumerOptions) {
  const { db, bus, registry, consumer, handlers, logger } = options;
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
    const carrier: Record<string, unknown> = { ...message.headers };
    if (event.traceparent) carrier.traceparent = event.traceparent;
    if (event.tracestate) carrier.tracestate = event.tracestate;
    const ctx = propagation.extract(context.active(), carrier, headerGetter);
    return { event, handler, ctx, message };
  }

  /** Claims the event in the inbox and applies it, inside the given transaction (or savepoint). */
  async function apply(tx: Tx, { event, handler, ctx }: Prepared): Promise<void> {
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
    await context.with(ctx, () => handler(tx, event));
  }

  function failed(p: Prepared, err: unknown): Disposition {
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

  /** One delivery, one transaction: applied and committed before the caller acks. */
  async function handle(message: IncomingMessage): Promise<Disposition> {
    const p = prepare(message);
    return p === 'dead-letter' ? p : handlePrepared(p);
  }

  async function handlePrepared(p: Prepared): Promise<Disposition> {
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
  const batcher = createBatcher<Prepared, Disposition>({
    maxBatch: options.maxBatch ?? 50,
    maxConcurrent: 4,
    run: async (batch) => {
      // A stable order keeps concurrent batches from taking the same inbox rows in opposite orders.
      const ordered = [...batch].sort((a, b) => (a.event.id < b.event.id ? -1 : 1));
      try {
        await db.transaction(async (tx) => {
          for (const p of ordered) await apply(tx, p);
        });
        return batch.map(() => 'ack' as const);
      } catch {
        return Promise.all(batch.map((p) => handlePrepared(p)));
      }
    },
  });

  async function handleBatched(message: IncomingMessage): Promise<Disposition> {
    const p = prepare(message);
    if (p === 'dead-letter') return p;
    return batcher.submit(p);
  }

  return {
    handle,
    async start() {
      subscription = await bus.subscribe(
        {
          name: consumer,
          bindings: Object.keys(handlers),
          ...(options.prefetch ? { prefetch: options.prefetch } : {}),
          ...(options.deliveryLimit ? { deliveryLimit: options.deliveryLimit } : {}),
        },
        handleBatched,
      );
    },
    async stop() {
      await subscription?.cancel();
      subscription = undefined;
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
