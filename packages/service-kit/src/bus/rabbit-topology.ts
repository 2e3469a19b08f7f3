import { type Channel, type ChannelModel } from 'amqplib';
import { noop, type BusLogger } from './logger';
import { topicMatches } from './topic';
import {
  DEAD_LETTER_EXCHANGE,
  EXCHANGE,
  TOPIC_EXCHANGE,
  UNROUTED_EXCHANGE,
  UNROUTED_QUEUE,
  consumerQueue,
  type ConsumerSpec,
} from './types';

const quorum = { 'x-queue-type': 'quorum' };

export const deadLetterQueue = (consumerName: string): string => `${consumerName}.dlq`;

/**
 * Declarations run on a throwaway channel: an inequivalent-arguments or not-found error closes only that
 * channel (reliability.md §1.8), never the shared publisher or a consumer. The failing call's promise
 * carries the error, so the channel's 'error' event is only silenced.
 */
async function onThrowawayChannel(conn: ChannelModel, declare: (ch: Channel) => Promise<void>) {
  const ch = await conn.createChannel();
  ch.on('error', noop);
  try {
    await declare(ch);
  } finally {
    await ch.close().catch(noop);
  }
}

/**
 * Events no consumer is bound to yet are kept for a while, not without bound: the newest UNROUTED_MAX_LENGTH
 * (older ones are dropped from the head) for at most UNROUTED_TTL_MS. They are kept to be looked at, not
 * replayed: a consumer added later starts from its own queue.
 */
export const UNROUTED_MAX_LENGTH = 100_000;
export const UNROUTED_TTL_MS = 7 * 24 * 3600 * 1000;

/**
 * The direct exchange events are published to, the topic exchange behind it (its alternate exchange), the
 * topic exchange's own alternate exchange and queue (unrouted events are kept), and the DLX.
 */
export async function declareTopology(conn: ChannelModel, log?: BusLogger): Promise<void> {
  await onThrowawayChannel(conn, async (ch) => {
    await ch.assertExchange(UNROUTED_EXCHANGE, 'fanout', { durable: true });
  });
  await onThrowawayChannel(conn, async (ch) => {
    await ch.assertQueue(UNROUTED_QUEUE, {
      durable: true,
      arguments: {
        ...quorum,
        'x-max-length': UNROUTED_MAX_LENGTH,
        'x-overflow': 'drop-head',
        'x-message-ttl': UNROUTED_TTL_MS,
      },
    });
  }).catch(async (err: unknown) => {
    // Declared unbounded by an earlier version: queue arguments cannot change in place. Keep it and say
    // how to bound it (a policy applies to an existing queue).
    log?.warn(
      { err, queue: UNROUTED_QUEUE },
      `${UNROUTED_QUEUE} exists without a length limit; bound it with: rabbitmqctl set_policy unrouted "^geminis\\.unrouted$" '{"max-length":${UNROUTED_MAX_LENGTH},"message-ttl":${UNROUTED_TTL_MS}}' --apply-to queues`,
    );
    await onThrowawayChannel(conn, async (ch) => {
      await ch.checkQueue(UNROUTED_QUEUE);
    });
  });
  return onThrowawayChannel(conn, async (ch) => {
    await ch.bindQueue(UNROUTED_QUEUE, UNROUTED_EXCHANGE, '');
    await ch.assertExchange(TOPIC_EXCHANGE, 'topic', { durable: true, alternateExchange: UNROUTED_EXCHANGE });
    await ch.assertExchange(EXCHANGE, 'direct', { durable: true, alternateExchange: TOPIC_EXCHANGE });
    await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
  });
}

/**
 * The routing keys a binding pattern stands for on the direct exchange: itself when it has no wildcard,
 * else every known event type it matches.
 */
export function directKeys(pattern: string, eventTypes: readonly string[]): string[] {
  if (!pattern.split('.').some((word) => word === '*' || word === '#')) return [pattern];
  return eventTypes.filter((type) => topicMatches(pattern, type));
}

/**
 * A consumer's quorum queue, with a delivery limit (3.10 has no default: reliability.md §1.5) and
 * at-least-once dead-lettering (which needs `reject-publish`: §1.4), bound to its patterns; and its
 * dead-letter queue, bound to the DLX under the consumer's name. A per-instance queue also expires once
 * unused (x-expires, which quorum queues support), so replicas that are gone leave nothing behind.
 * Each pattern is bound on the topic exchange as it is, and on the direct exchange as the event types it
 * stands for (directKeys): a message the direct exchange routes is delivered by it alone, one it cannot
 * route reaches the queue through the topic exchange; never both.
 */
export function declareConsumerQueues(
  conn: ChannelModel,
  spec: ConsumerSpec,
  eventTypes: readonly string[],
): Promise<void> {
  return onThrowawayChannel(conn, async (ch) => {
    const dlq = deadLetterQueue(spec.name);
    await ch.assertQueue(dlq, { durable: true, arguments: quorum });
    await ch.bindQueue(dlq, DEAD_LETTER_EXCHANGE, spec.name);
    const queue = consumerQueue(spec);
    await ch.assertQueue(queue, {
      durable: true,
      arguments: {
        ...quorum,
        ...(spec.instance ? { 'x-expires': spec.expiresMs ?? 60_000 } : {}),
        'x-delivery-limit': spec.deliveryLimit ?? 5,
        'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
        'x-dead-letter-routing-key': spec.name,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
      },
    });
    for (const pattern of spec.bindings) {
      await ch.bindQueue(queue, TOPIC_EXCHANGE, pattern);
      for (const key of directKeys(pattern, eventTypes)) await ch.bindQueue(queue, EXCHANGE, key);
    }
  });
}
