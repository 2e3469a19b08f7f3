import { context, propagation, type TextMapGetter } from '@opentelemetry/api';
import { type EventEnvelope, type EventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { type Bus, type Disposition, type IncomingMessage, type Subscription } from '../bus/types';
import { rows, type Database, type Tx } from '../db/types';

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

  async function handle(message: IncomingMessage): Promise<Disposition> {
    let raw: unknown;
    try {
      raw = JSON.parse(message.body.toString('utf8'));
    } catch {
      logger?.warn({ consumer, messageId: message.id }, 'dead-lettering a message that is not JSON');
      return 'dead-letter';
    }
    const parsed = registry.parse(raw);
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
    try {
      await context.with(ctx, () =>
        db.transaction(async (tx) => {
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
          await handler(tx, event);
        }),
      );
      return 'ack';
    } catch (err) {
      if (err instanceof PermanentEventError) {
        logger?.warn({ consumer, eventId: event.id, err }, 'dead-lettering an event that cannot be applied');
        return 'dead-letter';
      }
      logger?.error(
        { consumer, eventId: event.id, type: event.type, deliveryCount: message.deliveryCount, err },
        'event handler failed; will be retried',
      );
      return 'retry';
    }
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
        handle,
      );
    },
    async stop() {
      await subscription?.cancel();
      subscription = undefined;
    },
  };
}

export type EventConsumer = ReturnType<typeof createEventConsumer>;
