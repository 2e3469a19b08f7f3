import amqp, { type ConfirmChannel } from 'amqplib';
import { deadLetterQueue } from './rabbit-topology';

/** Headers the broker adds on the way to the dead-letter queue; a replayed message starts afresh. */
const BROKER_HEADERS = /^x-(death|first-death-|last-death-|delivery-count)/;

async function withConfirmChannel<T>(url: string, use: (ch: ConfirmChannel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(url);
  conn.on('error', () => undefined);
  try {
    const ch = await conn.createConfirmChannel();
    ch.on('error', () => undefined);
    return await use(ch);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/** How many messages wait in a consumer's dead-letter queue (0 when it has none yet). */
export function countDeadLetters(url: string, consumer: string): Promise<number> {
  return withConfirmChannel(url, (ch) =>
    ch.checkQueue(deadLetterQueue(consumer)).then(
      (q) => q.messageCount,
      () => 0,
    ),
  );
}

/**
 * Puts up to `max` dead-lettered messages of a consumer back on its queue (the default exchange, routed
 * to that queue alone: other consumers of the event do not see it twice), oldest first, each with a fresh
 * delivery count. A message leaves the dead-letter queue only after the broker confirmed its copy, so a
 * crash in between duplicates it, which the consumer's inbox absorbs — it is never lost. Returns how many
 * were replayed. Fix the cause first: a message that fails again returns to the dead-letter queue.
 */
export function replayDeadLetters(url: string, consumer: string, max = 10_000): Promise<number> {
  return withConfirmChannel(url, async (ch) => {
    const dlq = deadLetterQueue(consumer);
    await ch.checkQueue(consumer);
    let replayed = 0;
    while (replayed < max) {
      const msg = await ch.get(dlq, { noAck: false });
      if (!msg) break;
      const headers = Object.fromEntries(
        Object.entries((msg.properties.headers ?? {}) as Record<string, unknown>).filter(
          ([k]) => !BROKER_HEADERS.test(k),
        ),
      );
      ch.publish('', consumer, msg.content, {
        persistent: true,
        mandatory: true,
        messageId: msg.properties.messageId as string | undefined,
        contentType: msg.properties.contentType as string | undefined,
        headers: { ...headers, 'x-replayed-from': dlq },
      });
      await ch.waitForConfirms();
      ch.ack(msg);
      replayed += 1;
    }
    return replayed;
  });
}
