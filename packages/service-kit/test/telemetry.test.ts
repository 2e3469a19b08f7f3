import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createInMemoryBus } from '../src/bus';
import { migrate, openPostgres, type Database } from '../src/db';
import { createEventConsumer, createOutbox, createOutboxRelay } from '../src/outbox';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { currentTraceId, injectTraceContext } from '../src/telemetry/telemetry';
import { NoteAdded, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from './fixtures/notes';

describe('trace context across the bus', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    trace.setGlobalTracerProvider(new BasicTracerProvider());
    testDb = await createTestDatabase();
    db = openPostgres({ url: testDb.url });
    await migrate(db, [NOTES_MIGRATIONS]);
  });
  afterAll(async () => {
    await db.close();
    await testDb.drop();
    context.disable();
    propagation.disable();
    trace.disable();
  });

  it('continues the producer trace in the consumer of its event', async () => {
    const bus = createInMemoryBus();
    const seen: (string | undefined)[] = [];
    const consumer = createEventConsumer({
      db,
      bus,
      registry: testRegistry,
      consumer: 'trace-test',
      handlers: {
        [NoteAdded.type]: async () => {
          seen.push(currentTraceId());
        },
      },
    });
    await consumer.start();
    const relay = createOutboxRelay({ db, bus, pollIntervalMs: 50 });
    await relay.start();
    const outbox = createOutbox({ source: 'test', registry: testRegistry });
    const tracer = trace.getTracer('test');
    const producerTraceId = await tracer.startActiveSpan('request', async (span) => {
      const headers = injectTraceContext({});
      expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      await db.transaction((tx) =>
        outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n: 1 } }),
      );
      span.end();
      return span.spanContext().traceId;
    });
    await waitFor(
      async () => seen.length,
      (n) => n > 0,
    );
    expect(seen).toEqual([producerTraceId]);
    await relay.stop();
    await consumer.stop();
    await bus.close();
  });
});
