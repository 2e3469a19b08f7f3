import { context, propagation } from '@opentelemetry/api';
import { type EventEnvelope, type EventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { newId } from '../ids';
import { type Tx } from '../db/types';

export const OUTBOX_CHANNEL = 'geminis_outbox';

export interface NewEvent<TData = unknown> {
  type: string;
  tenantId: string;
  data: TData;
  /** The request or event that started this chain; defaults to the new event's id. */
  correlationId?: string;
  /** The event that directly caused this one. */
  causationId?: string;
}

export interface Outbox {
  /**
   * Writes an event into the outbox in the caller's transaction: it is published if and only if that
   * transaction commits. The data is validated against the event's registered schema first.
   */
  enqueue<TData>(tx: Tx, event: NewEvent<TData>): Promise<EventEnvelope<TData>>;
}

export function createOutbox(deps: { source: string; registry: EventRegistry }): Outbox {
  return {
    async enqueue(tx, event) {
      const def = deps.registry.get(event.type);
      if (!def) throw new Error(`event type ${event.type} is not registered in @geminis/contracts`);
      const parsed = def.schema.safeParse(event.data);
      if (!parsed.success) throw new Error(`invalid ${event.type} data: ${parsed.error.message}`);

      const id = newId();
      const trace: Record<string, string> = {};
      propagation.inject(context.active(), trace);
      const envelope: EventEnvelope<typeof event.data> = {
        id,
        type: event.type,
        source: deps.source,
        time: new Date().toISOString(),
        tenantId: event.tenantId,
        correlationId: event.correlationId ?? id,
        ...(event.causationId ? { causationId: event.causationId } : {}),
        ...(trace.traceparent ? { traceparent: trace.traceparent } : {}),
        ...(trace.tracestate ? { tracestate: trace.tracestate } : {}),
        data: event.data,
      };
      // One round trip: the row, and a notification delivered to the relay's LISTEN only if and when this
      // transaction commits (a data-modifying CTE runs whether or not it is read; no RETURNING, which the
      // outbox's row-level security would check against the reading policy as well).
      await tx.execute(sql`
        with inserted as (
          insert into outbox (id, tenant_id, type, envelope, headers)
          values (${id}, ${event.tenantId}, ${event.type}, ${JSON.stringify(envelope)}::json, ${JSON.stringify(trace)}::json)
        )
        select pg_notify(${OUTBOX_CHANNEL}, '')`);
      return envelope;
    },
  };
}
