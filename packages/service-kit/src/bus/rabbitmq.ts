import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import {
  DEAD_LETTER_EXCHANGE,
  EXCHANGE,
  UNROUTED_EXCHANGE,
  UNROUTED_QUEUE,
  type Bus,
  type ConsumerSpec,
  type Disposition,
  type IncomingMessage,
  type MessageHandler,
  type Subscription,
} from './types';

export interface BusLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RabbitBusOptions {
  url: string;
  logger?: BusLogger;
  /** Every publish fails if its confirm has not arrived by then. Default 10 s. */
  confirmTimeoutMs?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  heartbeatSeconds?: number;
}

interface PendingConfirm {
  messageId: string;
  returned: boolean;
  settle: (err?: Error) => void;
}

interface Consumer {
  spec: ConsumerSpec;
  handler: MessageHandler;
  channel?: Channel;
  consumerTag?: string;
  inFlight: Set<Promise<void>>;
  cancelled: boolean;
}

const noop = () => undefined;

/** Heartbeats detect a dead TCP link in seconds instead of ~11 minutes (reliability.md §1.6). */
function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}
const quorum = { 'x-queue-type': 'quorum' };

/**
 * RabbitMQ adapter (amqplib) with the reliability bar of reference/reliability.md §1.7: persistent
 * messages on a confirm channel with `mandatory` and a return handler, a timeout on every confirm, quorum
 * queues with a delivery limit and at-least-once dead-lettering, manual acks, reconnection with capped
 * exponential backoff and full jitter that re-declares the topology and re-registers consumers, and an
 * 'error' listener on the connection and every channel so a broker failure never crashes the process.
 * Nothing is buffered in memory while disconnected: publish rejects and the outbox keeps the event.
 */
export function createRabbitBus(options: RabbitBusOptions): Bus {
  const log = options.logger;
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 500;
  const maxDelayMs = options.reconnect?.maxDelayMs ?? 30_000;

  let connection: ChannelModel | undefined;
  let publisher: ConfirmChannel | undefined;
  let drained: Promise<void> | undefined;
  let closed = false;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const pending = new Set<PendingConfirm>();
  const consumers = new Set<Consumer>();
  let firstConnection: { promise: Promise<void>; resolve: () => void };
  {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    firstConnection = { promise, resolve };
  }

  function failPending(reason: string) {
    for (const p of [...pending]) p.settle(new Error(reason));
  }

  function connectionLost(conn: ChannelModel, reason: string) {
    if (connection !== conn) return;
    connection = undefined;
    publisher = undefined;
    drained = undefined;
    failPending(`publish not confirmed: ${reason}`);
    for (const c of consumers) {
      c.channel = undefined;
      c.consumerTag = undefined;
    }
    if (!closed) {
      log?.warn({ reason }, 'lost the RabbitMQ connection; reconnecting');
      scheduleReconnect();
    }
  }

  function scheduleReconnect() {
    if (closed || reconnectTimer) return;
    const cap = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt, 16));
    const delay = initialDelayMs / 2 + Math.random() * cap; // full jitter above a small floor
    attempt += 1;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      void connect();
    }, delay);
  }

  async function declareTopology(conn: ChannelModel) {
    const ch = await conn.createChannel();
    ch.on('error', noop);
    try {
      await ch.assertExchange(UNROUTED_EXCHANGE, 'fanout', { durable: true });
      await ch.assertQueue(UNROUTED_QUEUE, { durable: true, arguments: quorum });
      await ch.bindQueue(UNROUTED_QUEUE, UNROUTED_EXCHANGE, '');
      await ch.assertExchange(EXCHANGE, 'topic', { durable: true, alternateExchange: UNROUTED_EXCHANGE });
      await ch.assertExchange(DEAD_LETTER_EXCHANGE, 'direct', { durable: true });
    } finally {
      await ch.close().catch(noop);
    }
  }

  async function declareConsumerQueues(conn: ChannelModel, spec: ConsumerSpec) {
    // Declarations run on a throwaway channel: an inequivalent-arguments error closes only that channel.
    const ch = await conn.createChannel();
    ch.on('error', noop);
    try {
      const dlq = `${spec.name}.dlq`;
      await ch.assertQueue(dlq, { durable: true, arguments: quorum });
      await ch.bindQueue(dlq, DEAD_LETTER_EXCHANGE, spec.name);
      await ch.assertQueue(spec.name, {
        durable: true,
        arguments: {
          ...quorum,
          'x-delivery-limit': spec.deliveryLimit ?? 5,
          'x-dead-letter-exchange': DEAD_LETTER_EXCHANGE,
          'x-dead-letter-routing-key': spec.name,
          'x-dead-letter-strategy': 'at-least-once',
          'x-overflow': 'reject-publish',
        },
      });
      for (const pattern of spec.bindings) await ch.bindQueue(spec.name, EXCHANGE, pattern);
    } finally {
      await ch.close().catch(noop);
    }
  }

  async function startConsumer(conn: ChannelModel, c: Consumer) {
    await declareConsumerQueues(conn, c.spec);
    const ch = await conn.createChannel();
    ch.on('error', (err: Error) => log?.warn({ err, consumer: c.spec.name }, 'consumer channel error'));
    ch.on('close', () => {
      if (c.channel === ch) {
        c.channel = undefined;
        // A channel closed under a live connection (e.g. a protocol error): consume again.
        if (connection === conn && !c.cancelled && !closed) {
          void startConsumer(conn, c).catch((err: unknown) =>
            log?.error({ err, consumer: c.spec.name }, 'could not restart consumer'),
          );
        }
      }
    });
    await ch.prefetch(c.spec.prefetch ?? 20, false);
    c.channel = ch;
    const { consumerTag } = await ch.consume(c.spec.name, (msg) => onDelivery(c, ch, msg), { noAck: false });
    c.consumerTag = consumerTag;
  }

  function onDelivery(c: Consumer, ch: Channel, msg: ConsumeMessage | null) {
    if (!msg) return; // cancelled by the broker (queue deleted): the channel close path recovers
    const headers = (msg.properties.headers ?? {}) as Record<string, unknown>;
    const count = Number(headers['x-delivery-count'] ?? 0);
    const incoming: IncomingMessage = {
      id: typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined,
      routingKey: msg.fields.routingKey,
      body: msg.content,
      headers,
      redelivered: msg.fields.redelivered,
      deliveryCount: Number.isFinite(count) ? count : 0,
    };
    const work = (async () => {
      let disposition: Disposition;
      try {
        disposition = await c.handler(incoming);
      } catch (err) {
        log?.error({ err, consumer: c.spec.name, messageId: incoming.id }, 'message handler threw');
        disposition = 'retry';
      }
      // A delivery from a channel that has since closed must not be acked on another channel: the broker
      // has requeued it and will deliver it again.
      if (c.channel !== ch) return;
      try {
        if (disposition === 'ack') ch.ack(msg);
        else if (disposition === 'retry') ch.reject(msg, true);
        else ch.nack(msg, false, false);
      } catch (err) {
        log?.warn(
          { err, consumer: c.spec.name },
          'could not settle a delivery; the broker will redeliver it',
        );
      }
    })();
    c.inFlight.add(work);
    void work.finally(() => c.inFlight.delete(work));
  }

  async function connect(): Promise<void> {
    if (closed) return;
    let conn: ChannelModel | undefined;
    try {
      conn = await amqp.connect(withHeartbeat(options.url, options.heartbeatSeconds ?? 10));
      const current = conn;
      current.on('error', (err: Error) => log?.warn({ err }, 'RabbitMQ connection error'));
      current.on('close', () => connectionLost(current, 'connection closed'));
      current.on('blocked', (reason: string) => log?.warn({ reason }, 'RabbitMQ blocked publishing'));
      await declareTopology(current);
      const ch = await current.createConfirmChannel();
      ch.on('error', (err: Error) => log?.warn({ err }, 'publisher channel error'));
      ch.on('close', () => {
        if (publisher !== ch) return;
        publisher = undefined;
        failPending('publisher channel closed');
        // The connection may still be fine: reopen the confirm channel on it, or reconnect.
        if (connection === current && !closed) void current.close().catch(noop);
      });
      ch.on('return', (msg: ConsumeMessage) => {
        const id = msg.properties.messageId as unknown;
        for (const p of pending) if (p.messageId === id) p.returned = true;
      });
      connection = current;
      publisher = ch;
      for (const c of consumers) if (!c.cancelled) await startConsumer(current, c);
      attempt = 0;
      log?.info({}, 'connected to RabbitMQ');
      firstConnection.resolve();
    } catch (err) {
      log?.warn({ err }, 'could not connect to RabbitMQ; retrying');
      if (conn) {
        if (connection === conn) connection = undefined;
        publisher = undefined;
        await conn.close().catch(noop);
      }
      scheduleReconnect();
    }
  }

  async function publishOnce(ch: ConfirmChannel, message: Parameters<Bus['publish']>[0]): Promise<void> {
    while (drained) await drained;
    await new Promise<void>((resolve, reject) => {
      let done = false;
      const entry: PendingConfirm = {
        messageId: message.id,
        returned: false,
        settle: (err) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          pending.delete(entry);
          if (err) reject(err);
          else resolve();
        },
      };
      const timer = setTimeout(
        () => entry.settle(new Error(`publish not confirmed within ${confirmTimeoutMs} ms`)),
        confirmTimeoutMs,
      );
      pending.add(entry);
      try {
        const ok = ch.publish(
          EXCHANGE,
          message.routingKey,
          message.body,
          {
            persistent: true,
            mandatory: true,
            messageId: message.id,
            contentType: message.contentType ?? 'application/json',
            timestamp: Math.floor(Date.now() / 1000),
            headers: message.headers ?? {},
          },
          (err: unknown) => {
            if (err) entry.settle(new Error('publish nacked by the broker'));
            else if (entry.returned) entry.settle(new Error(`message ${message.id} was unroutable`));
            else entry.settle();
          },
        );
        if (!ok && !drained) {
          // The socket buffer is full: the message is buffered, so wait for 'drain' before writing more.
          drained = new Promise<void>((r) => {
            const release = () => {
              drained = undefined;
              r();
            };
            ch.once('drain', release);
            ch.once('close', release);
          });
        }
      } catch (err) {
        entry.settle(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  void connect();

  return {
    kind: 'rabbitmq',
    async publish(message) {
      if (closed) throw new Error('bus is closed');
      if (!connection && attempt === 0) {
        // Still making the first connection: wait for it, but not forever.
        await Promise.race([
          firstConnection.promise,
          new Promise((r) => setTimeout(r, confirmTimeoutMs).unref()),
        ]);
      }
      const ch = publisher;
      if (!ch) throw new Error('not connected to RabbitMQ');
      await publishOnce(ch, message);
    },
    async subscribe(spec, handler): Promise<Subscription> {
      if (closed) throw new Error('bus is closed');
      const c: Consumer = { spec, handler, inFlight: new Set(), cancelled: false };
      consumers.add(c);
      await firstConnection.promise;
      if (connection && !c.channel) await startConsumer(connection, c);
      return {
        async cancel() {
          c.cancelled = true;
          consumers.delete(c);
          const ch = c.channel;
          if (ch && c.consumerTag) await ch.cancel(c.consumerTag).catch(noop);
          await Promise.allSettled([...c.inFlight]);
          c.channel = undefined;
          if (ch) await ch.close().catch(noop);
        },
      };
    },
    async check() {
      if (closed) throw new Error('bus is closed');
      if (!connection || !publisher) throw new Error('not connected to RabbitMQ');
    },
    async close() {
      if (closed) return;
      closed = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      for (const c of consumers) {
        c.cancelled = true;
        if (c.channel && c.consumerTag) await c.channel.cancel(c.consumerTag).catch(noop);
      }
      await Promise.allSettled([...consumers].flatMap((c) => [...c.inFlight]));
      const outstanding = [...pending].map(
        (p) =>
          new Promise<void>((r) => {
            const original = p.settle;
            p.settle = (err) => {
              original(err);
              r();
            };
          }),
      );
      await Promise.race([Promise.all(outstanding), new Promise((r) => setTimeout(r, confirmTimeoutMs))]);
      const conn = connection;
      connection = undefined;
      publisher = undefined;
      consumers.clear();
      firstConnection.resolve();
      if (conn) await conn.close().catch(noop);
    },
  };
}
