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
  /** The event types a wildcard binding expands to on the direct exchange (declareConsumerQueues). */
  eventTypes: readonly string[];
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

/** How long an ack may wait behind an older delivery still being handled before it is sent alone. */
const ACK_HOLD_MS = 50;

interface Outstanding {
  msg: ConsumeMessage;
  /** Its handler said 'ack' (after its commit); the ack is not sent yet. */
  acked: boolean;
  /** Settled with the broker on its own (a reject, a nack, or an ack that waited too long). */
  settled: boolean;
  since: number;
}

export interface AckCoalescer {
  /** Every delivery is tracked from its arrival, so an ack(multiple) never covers one still in hand. */
  delivered(msg: ConsumeMessage): Outstanding;
  settle(entry: Outstanding, disposition: Disposition): void;
  /** Sends every ack decided so far (before the channel is closed). */
  flushNow(): void;
  /** The channel is gone: nothing more is sent on it. */
  drop(): void;
}

/**
 * Sends the acks of one channel in as few frames as possible: a frame per ack costs the broker (and the
 * quorum queue, a settle command each) and this process a write each. Acks decided in the same turn of the
 * event loop are flushed together; the longest run of settled deliveries from the oldest one outstanding
 * is acknowledged by ONE `ack(multiple)` for its last acked tag (delivery tags grow on a channel, and
 * rejects and nacks are sent at once, so everything up to that tag is an ack decided after its commit).
 * An ack behind a delivery still being handled (another batch, a held event) waits for it up to
 * ACK_HOLD_MS, then is sent alone. Nothing is acknowledged before its handler said 'ack'.
 */
export function createAckCoalescer(ch: Channel, onError: (err: unknown) => void): AckCoalescer {
  /** Deliveries not settled with the broker yet, in delivery (tag) order. */
  const outstanding: Outstanding[] = [];
  let head = 0;
  let scheduled = false;
  let holdTimer: NodeJS.Timeout | undefined;

  function flush(): void {
    try {
      send();
    } catch (err) {
      onError(err); // the channel is closing: what was not acked is redelivered, and found in the inbox
    }
  }

  function send(): void {
    scheduled = false;
    let last: ConsumeMessage | undefined;
    while (head < outstanding.length && (outstanding[head]!.acked || outstanding[head]!.settled)) {
      const entry = outstanding[head]!;
      if (entry.acked && !entry.settled) last = entry.msg;
      head += 1;
    }
    if (head > 1024 || head === outstanding.length) {
      outstanding.splice(0, head);
      head = 0;
    }
    if (last) ch.ack(last, true);
    // Acks behind an unsettled delivery: sent alone once they have waited long enough.
    if (holdTimer) return; // that sweep will look at them
    let oldestWaiting = Infinity;
    const now = Date.now();
    for (let i = head; i < outstanding.length; i++) {
      const entry = outstanding[i]!;
      if (!entry.acked || entry.settled) continue;
      if (now - entry.since >= ACK_HOLD_MS) {
        entry.settled = true;
        ch.ack(entry.msg);
      } else oldestWaiting = Math.min(oldestWaiting, entry.since);
    }
    if (oldestWaiting !== Infinity) holdTimer = setTimeout(sweep, ACK_HOLD_MS - (now - oldestWaiting) + 1);
  }

  function sweep(): void {
    holdTimer = undefined;
    flush();
  }

  return {
    delivered(msg) {
      const entry = { msg, acked: false, settled: false, since: 0 };
      outstanding.push(entry);
      return entry;
    },
    settle(entry, disposition) {
      if (disposition === 'ack') {
        entry.acked = true;
        entry.since = Date.now();
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
        return;
      }
      entry.settled = true;
      settle(ch, entry.msg, disposition);
    },
    flushNow() {
      send();
      for (let i = head; i < outstanding.length; i++) {
        const entry = outstanding[i]!;
        if (entry.acked && !entry.settled) {
          entry.settled = true;
          ch.ack(entry.msg);
        }
      }
      clearTimeout(holdTimer);
      holdTimer = undefined;
    },
    drop() {
      clearTimeout(holdTimer);
      holdTimer = undefined;
      outstanding.length = 0;
      head = 0;
    },
  };
}

const dispositions: ReadonlySet<unknown> = new Set<Disposition>(['ack', 'retry', 'dead-letter']);

export function createRabbitConsumer(
  spec: ConsumerSpec,
  handler: MessageHandler,
  deps: ConsumerDeps,
): RabbitConsumer {
  const log = deps.logger;
  const context = { consumer: consumerQueue(spec) };
  /** Deliveries whose handler has not settled yet; `drained` waiters wake when it reaches 0. */
  let inFlight = 0;
  const drained: (() => void)[] = [];
  let channel: Channel | undefined;
  let channelAcks: AckCoalescer | undefined;
  let consumerTag: string | undefined;
  let starting: Promise<void> | undefined;
  let cancelled = false;

  function onDelivery(ch: Channel, acks: AckCoalescer, msg: ConsumeMessage | null) {
    if (!msg) {
      // The broker cancelled us (e.g. the queue was deleted): close the channel so it is re-declared.
      if (channel === ch && !cancelled) {
        log?.warn(context, 'consumer cancelled by the broker; restarting it');
        void ch.close().catch(noop);
      }
      return;
    }
    const incoming = toIncoming(msg);
    const tracked = acks.delivered(msg);
    // Promise callbacks, not an async frame and a set of promises per delivery (thousands a second).
    inFlight += 1;
    const done = (disposition: Disposition) => {
      inFlight -= 1;
      if (channel === ch) {
        // (else see detach())
        try {
          acks.settle(tracked, disposition);
        } catch (err) {
          log?.warn({ ...context, err }, 'could not settle a delivery; the broker will redeliver it');
        }
      }
      if (inFlight === 0 && drained.length > 0) for (const wake of drained.splice(0)) wake();
    };
    let handled: Promise<Disposition>;
    try {
      handled = handler(incoming);
    } catch (err) {
      handled = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    void handled.then(
      (disposition) => {
        if (dispositions.has(disposition)) return done(disposition);
        log?.error({ ...context, disposition, messageId: incoming.id }, 'unknown disposition; will retry');
        done('retry');
      },
      (err: unknown) => {
        log?.error({ ...context, err, messageId: incoming.id }, 'message handler threw; will retry');
        done('retry');
      },
    );
  }

  /** Resolves once no handler is running. */
  function handlersSettled(): Promise<void> {
    if (inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => drained.push(resolve));
  }

  async function stop() {
    const ch = channel;
    const tag = consumerTag;
    // basic.cancel and channel.close are round trips whose reply a wedged queue or a half-dead connection
    // may never send: bounded, so cancel() always returns (the bus then closes the connection itself).
    if (ch && tag) await settledWithin(ch.cancel(tag), deps.rpcTimeoutMs);
    await handlersSettled();
    if (channel === ch) {
      // The acks of what was applied go out before the channel closes (else it would all be redelivered).
      try {
        channelAcks?.flushNow();
      } catch (err) {
        log?.warn({ ...context, err }, 'could not send the last acks; the broker will redeliver them');
      }
      channelAcks = undefined;
      channel = undefined;
      consumerTag = undefined;
    }
    if (ch) await settledWithin(ch.close(), deps.rpcTimeoutMs);
  }

  async function open(conn: ChannelModel) {
    await declareConsumerQueues(conn, spec, deps.eventTypes);
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => log?.warn({ ...context, err }, 'consumer channel error'));
    ch.on('handler-error', (err: Error) =>
      log?.error({ ...context, err }, 'consumer channel listener threw'),
    );
    const acks = createAckCoalescer(ch, (err) =>
      log?.warn({ ...context, err }, 'could not send acks; the broker will redeliver them'),
    );
    ch.on('close', () => {
      acks.drop();
      if (channel !== ch) return;
      channel = undefined;
      channelAcks = undefined;
      consumerTag = undefined;
      if (!cancelled) deps.onChannelLost();
    });
    try {
      // Per consumer (global=false): quorum queues don't support global QoS.
      await ch.prefetch(spec.prefetch ?? 20, false);
      channel = ch;
      channelAcks = acks;
      const reply = await ch.consume(consumerQueue(spec), (msg) => onDelivery(ch, acks, msg), {
        noAck: false,
      });
      if (channel === ch) consumerTag = reply.consumerTag;
    } catch (err) {
      if (channel === ch) {
        channel = undefined;
        channelAcks = undefined;
      }
      acks.drop();
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
      channelAcks?.drop();
      channelAcks = undefined;
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
