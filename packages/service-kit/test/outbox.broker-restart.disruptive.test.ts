import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { createRabbitBus } from '../src/bus';
import { migrate, openPostgres, rows } from '../src/db';
import { createEventConsumer, createOutbox, createOutboxRelay } from '../src/outbox';
import { createTestDatabase } from '../src/testing/postgres';
import { createTestVhost } from '../src/testing/rabbit';
import { effects, NoteAdded, recordEffect, testRegistry, waitFor } from './fixtures/events';
import { NOTES_MIGRATIONS, TENANT_A } from './fixtures/notes';

const run = promisify(execFile);

// Stops and starts the whole broker: this file runs alone, after the default suite (scripts/test.sh).
describe('outbox relay across a broker restart', () => {
  it('delivers every committed event when the broker stops and starts while the relay is publishing', async () => {
    const testDb = await createTestDatabase();
    const vhost = await createTestVhost();
    const db = openPostgres({ url: testDb.url, max: 6 });
    await migrate(db, [NOTES_MIGRATIONS]);
    const reconnect = { initialDelayMs: 200, maxDelayMs: 1000 };
    const pubBus = createRabbitBus({ url: vhost.url, reconnect, confirmTimeoutMs: 3000 });
    const subBus = createRabbitBus({ url: vhost.url, reconnect });
    const outbox = createOutbox({ source: 'test', registry: testRegistry });
    const consumer = createEventConsumer({
      db,
      bus: subBus,
      registry: testRegistry,
      consumer: 'restart-test',
      handlers: { [NoteAdded.type]: recordEffect },
    });
    await consumer.start();
    const relay = createOutboxRelay({
      db,
      bus: pubBus,
      pollIntervalMs: 100,
      retryBaseMs: 100,
      retryMaxMs: 1000,
    });
    await relay.start();
    const total = 300;
    try {
      const producing = (async () => {
        for (let n = 1; n <= total; n++) {
          await db.transaction((tx) =>
            outbox.enqueue(tx, { type: NoteAdded.type, tenantId: TENANT_A, data: { n } }),
          );
          if (n % 10 === 0) await new Promise((r) => setTimeout(r, 20));
        }
      })();
      await new Promise((r) => setTimeout(r, 300));
      await run('rabbitmqctl', ['-q', 'stop_app']);
      await new Promise((r) => setTimeout(r, 1500));
      await run('rabbitmqctl', ['-q', 'start_app']);
      await run('rabbitmqctl', ['-q', 'await_startup']);
      await producing;
      const seen = await waitFor(
        () => effects(db),
        (e) => new Set(e.map((x) => x.n)).size >= total,
        60_000,
      );
      expect(new Set(seen.map((e) => e.n)).size).toBe(total);
      expect(seen).toHaveLength(total);
      const [pending] = await db.transaction((tx) =>
        rows<{ count: string }>(tx, sql`select count(*) from outbox where published_at is null`),
      );
      expect(pending?.count).toBe('0');
    } finally {
      await relay.stop();
      await consumer.stop();
      await pubBus.close();
      await subBus.close();
      await db.close();
      await testDb.drop();
      await vhost.drop();
    }
  }, 120_000);
});
