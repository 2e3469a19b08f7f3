/**
 * The embedded mode's in-process bus keeps its queues in memory, so `npm start` lets what is in flight be
 * applied before its services stop (the seed child before it exits, every stop for a few seconds):
 * `watchedBus` wraps the bus the services use, `settle` waits for the outboxes and the bus to be quiet.
 */
import { sql } from 'drizzle-orm';
import { allTenants, rows, type Bus, type Database, type Logger } from '@geminis/service-kit';

/**
 * The bus as the services see it, counting what they do with it: a handler running, or any publish or
 * delivery in the last quiet period, means events are still moving.
 */
export function watchedBus(bus: Bus) {
  let inFlight = 0;
  let last = Date.now();
  const watched: Bus = {
    ...bus,
    publish(message) {
      last = Date.now();
      return bus.publish(message);
    },
    subscribe(spec, handler) {
      return bus.subscribe(spec, async (message) => {
        inFlight += 1;
        last = Date.now();
        try {
          return await handler(message);
        } finally {
          inFlight -= 1;
          last = Date.now();
        }
      });
    },
  };
  return { bus: watched, quietFor: (ms: number) => inFlight === 0 && Date.now() - last >= ms };
}

/**
 * Waits until no service has an unpublished outbox row and the bus has been quiet for a second: every
 * event published so far has then been applied (the in-process bus delivers a published message at once
 * to a free consumer, and a busy one counts as in flight). Gives up after `timeoutMs` with a warning:
 * outbox rows left are published by the next start, while deliveries queued in memory are lost.
 */
export async function settle(
  databases: Database[],
  quietFor: (ms: number) => boolean,
  logger: Pick<Logger, 'warn'>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const unpublished = async () => {
    let n = 0;
    for (const db of databases) {
      const [r] = await db.withTenant(allTenants, (tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from outbox where published_at is null`),
      );
      n += r?.n ?? 0;
    }
    return n;
  };
  while (Date.now() < deadline) {
    if (quietFor(1000) && (await unpublished()) === 0 && quietFor(1000)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  logger.warn({ timeoutMs }, 'events were still in flight when the wait ended');
}
