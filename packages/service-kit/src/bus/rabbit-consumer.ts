import { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { noop, type BusLogger } from './logger';
import { declareConsumerQueues } from './rabbit-topology';
import { settledWithin } from './timeout';
import {
  consumerQueue,
  type ConsumerSpec,
  type Disposition,
  type IncomingMessage,
  type MessageHandler,
} from './types';

/** One subscription's consumer: re-started by the bus on every connection it gets. */
export interface RabbitConsumer {
  readonly spec: ConsumerSpec;
  /** Declares the queues and consumes on a new channel of `conn`; a no-op if already consuming. */
  start(conn: ChannelModel): Promise<void>;
  /** The connection died: forget the channel. Its in-flight deliveries are dropped, not settled on
   * another channel (stale tag); the broker has requeued them and delivers them again. */
  detach(): void;
  /** Stops consuming for good, waits for in-flight handlers to settle, closes the channel. */
  cancel(): Promise<void>;
}

interface ConsumerDeps {
  logger?: BusLogger;
  /** Its channel closed while its connection may still be up (a channel error, a broker cancel). */
  onChannelLost(): void;
  /** Bound on each broker round trip of a shutdown (cancel, channel close). */
  rpcTimeoutMs: number;
}

export function toIncoming(msg: ConsumeMessage): IncomingMessage {
  const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
  // Quorum queues count redeliveries in `x-delivery-count` (absent on the first delivery).
  const count = Number(headers['x-delivery-count'] ?? 0);
  const id: unknown = msg.properties.messageId;
  return {
    id: typeof id === 'string' ? id : undefined,
    routingKey: msg.fields.routingKey,
    body: msg.content,
    headers,
    redelivered: msg.fields.redelivered,
    deliveryCount: Number.isFinite(count) ? count : 0,
  };
}

/** 'retry' is `reject(requeue)`, not `nack`: only reject counts towards the delivery limit on 4.3+. */
function settle(ch: Channel, msg: ConsumeMessage, disposition: Disposition): void {
  switch (disposition) {
    case 'ack':
      ch.ack(msg);
      return;
    case 'retry':
      ch.reject(msg, true);
      return;
    case 'dead-letter':
      ch.nack(msg, false, false);
      return;
  }
}

const dispositions: ReadonlySet<unknown> = new Set<Disposition>(['ack', 'retry', 'dead-letter']);

export function createRabbitConsumer(
  spec: ConsumerSpec,
  handler: MessageHandler,
  deps: ConsumerDeps,
): RabbitConsumer {
  const log = deps.logger;
  const context = { consumer: consumerQueue(spec) };
  const inFlight = new Set<Promise<void>>();
  let channel: Channel | undefined;
  let consumerTag: string | undefined;
  let starting: Promise<void> | undefined;
  let cancelled = false;

  function onDelivery(ch: Channel, msg: ConsumeMessage | null) {
    if (!msg) {
      // The broker cancelled us (e.g. the queue was deleted): close the channel so it is re-declared.
      if (channel === ch && !cancelled) {
        log?.warn(context, 'consumer cancelled by the broker; restarting it');
        void ch.close().catch(noop);
      }
      return;
    }
    const incoming = toIncoming(msg);
    const work = (async () => {
      let disposition: Disposition;
      try {
        disposition = await handler(incoming);
        if (!dispositions.has(disposition)) {
          log?.error({ ...context, disposition, messageId: incoming.id }, 'unknown disposition; will retry');
          disposition = 'retry';
        }
      } catch (err) {
        log?.error({ ...context, err, messageId: incoming.id }, 'message handler threw; will retry');
        disposition = 'retry';
      }
      if (channel !== ch) return; // see detach()
      try {
        settle(ch, msg, disposition);
      } catch (err) {
        log?.warn({ ...context, err }, 'could not settle a delivery; the broker will redeliver it');
      }
    })();
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  async function stop() {
    const ch = channel;
    const tag = consumerTag;
    // basic.cancel and channel.close are round trips whose reply a wedged queue or a half-dead connection
    // may never send: bounded, so cancel() always returns (the bus then closes the connection itself).
    if (ch && tag) await settledWithin(ch.cancel(tag), deps.rpcTimeoutMs);
    await Promise.allSettled([...inFlight]);
    if (channel === ch) {
      channel = undefined;
      consumerTag = undefined;
    }
    if (ch) await settledWithin(ch.close(), deps.rpcTimeoutMs);
  }

  async function open(conn: ChannelModel) {
    await declareConsumerQueues(conn, spec);
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => log?.warn({ ...context, err }, 'consumer channel error'));
    ch.on('handler-error', (err: Error) =>
      log?.error({ ...context, err }, 'consumer channel listener threw'),
    );
    ch.on('close', () => {
      if (channel !== ch) return;
      channel = undefined;
      consumerTag = undefined;
      if (!cancelled) deps.onChannelLost();
    });
    try {
      // Per consumer (global=false): quorum queues don't support global QoS.
      await ch.prefetch(spec.prefetch ?? 20, false);
      channel = ch;
      const reply = await ch.consume(consumerQueue(spec), (msg) => onDelivery(ch, msg), { noAck: false });
      if (channel === ch) consumerTag = reply.consumerTag;
    } catch (err) {
      if (channel === ch) channel = undefined;
      await ch.close().catch(noop);
      throw err;
    }
    if (cancelled) await stop(); // cancel() was called while this was starting
  }

  return {
    spec,
    start(conn) {
      if (cancelled || channel) return Promise.resolve();
      starting ??= open(conn).finally(() => (starting = undefined));
      return starting;
    },
    detach() {
      channel = undefined;
      consumerTag = undefined;
    },
    async cancel() {
      cancelled = true;
      if (starting) await settledWithin(starting, deps.rpcTimeoutMs);
      await stop();
    },
  };
}
