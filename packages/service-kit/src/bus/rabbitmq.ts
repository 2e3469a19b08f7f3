import { EventEmitter } from 'node:events';
import { eventRegistry } from '@geminis/contracts';
import amqp, { type ChannelModel } from 'amqplib';
import { backoffDelay } from './backoff';
import { noop, type BusLogger } from './logger';
import { encodePublishesInOneBuffer } from './publish-frames';
import { createConfirmPublisher, type ConfirmPublisher } from './rabbit-publisher';
import { createRabbitConsumer, type RabbitConsumer } from './rabbit-consumer';
import { declareTopology } from './rabbit-topology';
import { settledWithin } from './timeout';
import { BusUnavailableError, type Bus, type OutgoingMessage, type Subscription } from './types';

export type { BusLogger } from './logger';

export interface RabbitBusOptions {
  url: string;
  logger?: BusLogger;
  /** Every publish fails if its confirm has not arrived by then. Default 10 s. */
  confirmTimeoutMs?: number;
  /**
   * Reconnection delays: capped exponential backoff with full jitter. Defaults 500 ms and 5 s: a broker
   * that returns is found within seconds (a larger cap left a backlog waiting half a minute after it).
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** Default 10 s; a `heartbeat` in the URL wins. */
  heartbeatSeconds?: number;
  /** TCP connect timeout of each attempt. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * Bound on every other broker round trip whose reply may never come (topology set-up after connecting,
   * basic.cancel, channel and connection close). On expiry the connection is destroyed, which fails every
   * operation still waiting on it, so nothing (publish, subscribe, close) waits forever. Default 5 s.
   */
  operationTimeoutMs?: number;
  /**
   * The event types a consumer's wildcard binding is expanded to on the direct exchange (see EXCHANGE).
   * Default: every type registered in @geminis/contracts.
   */
  eventTypes?: readonly string[];
}

/** Drops the TCP socket under an amqplib connection: every pending RPC and confirm on it fails at once. */
function destroySocket(conn: ChannelModel): void {
  const raw = conn.connection as unknown as { stream?: { destroy(): void } };
  raw.stream?.destroy();
}

/**
 * amqplib's muxer writes every frame it takes from its channels to the socket by itself: a write (a system
 * call, and on loopback the broker's receive work too) per publish and per ack. Corking the socket while
 * the muxer drains its channels sends what accumulated in one writev: the same bytes in the same order,
 * written as soon as they were before (the muxer runs on its own schedule, uncorked before it returns).
 * Leaves the connection as it is if amqplib's internals are not what this expects.
 */
export function coalesceFrameWrites(conn: ChannelModel): void {
  const muxer = (conn.connection as unknown as { muxer?: unknown }).muxer as
    { out?: { cork?: () => void; uncork?: () => void }; _readIncoming?: () => void } | undefined;
  const out = muxer?.out;
  const read = muxer?._readIncoming;
  if (!muxer || !out || typeof out.cork !== 'function' || typeof out.uncork !== 'function') return;
  if (typeof read !== 'function') return;
  muxer._readIncoming = function corked(this: unknown) {
    out.cork!();
    try {
      read.call(muxer);
    } finally {
      out.uncork!();
    }
  };
}

/** Heartbeats detect a dead TCP link in seconds instead of ~11 minutes (reliability.md §1.6). */
function withHeartbeat(url: string, seconds: number): string {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(seconds));
  return u.toString();
}

/**
 * RabbitMQ adapter (amqplib) with the reliability bar of reference/reliability.md §1.7: persistent
 * messages on a confirm channel with `mandatory` and a return handler, a timeout on every confirm, quorum
 * queues with a delivery limit and at-least-once dead-lettering, manual acks, reconnection with capped
 * exponential backoff and full jitter that re-declares the topology and re-registers consumers (last),
 * and an 'error' listener on the connection and every channel so a broker failure never crashes the
 * process. Nothing is buffered while disconnected: publish rejects and the outbox keeps the event.
 */
export function createRabbitBus(options: RabbitBusOptions): Bus {
  const log = options.logger;
  const url = withHeartbeat(options.url, options.heartbeatSeconds ?? 10);
  const confirmTimeoutMs = options.confirmTimeoutMs ?? 10_000;
  const initialDelayMs = options.reconnect?.initialDelayMs ?? 500;
  const maxDelayMs = options.reconnect?.maxDelayMs ?? 5_000;
  const operationTimeoutMs = options.operationTimeoutMs ?? 5_000;
  const eventTypes = options.eventTypes ?? eventRegistry.types();

  let connection: ChannelModel | undefined;
  let publisher: ConfirmPublisher | undefined;
  let blocked: string | undefined;
  let lastError: string | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;
  let attempt = 0;
  let firstAttemptDone = false;
  let connecting: Promise<void> | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const consumers = new Set<RabbitConsumer>();
  const consumerRetries = new Map<RabbitConsumer, { attempt: number; timer?: NodeJS.Timeout }>();
  const waiters = new Set<{ resolve: () => void; reject: (err: Error) => void }>();

  /** Resolves on the next successful connection; rejects when the bus closes. */
  function nextConnection(): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          waiters.delete(waiter);
          resolve();
        },
        reject: (err: Error) => {
          waiters.delete(waiter);
          reject(err);
        },
      };
      waiters.add(waiter);
    });
  }

  function scheduleReconnect() {
    if (closed || reconnectTimer) return;
    const delay = backoffDelay(attempt++, initialDelayMs, maxDelayMs);
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      connect();
    }, delay);
  }

  function connectionLost(conn: ChannelModel, err?: Error) {
    if (connection !== conn) return;
    const reason = err?.message ?? 'connection closed';
    lastError = reason;
    connection = undefined;
    blocked = undefined;
    publisher?.fail(`publish not confirmed: ${reason}`);
    publisher = undefined;
    for (const c of consumers) c.detach();
    if (closed) return;
    log?.warn({ reason }, 'lost the RabbitMQ connection; reconnecting');
    scheduleReconnect();
  }

  function watchConnection(conn: ChannelModel) {
    conn.on('error', (err: Error) => log?.warn({ err }, 'RabbitMQ connection error'));
    conn.on('close', (err?: Error) => connectionLost(conn, err));
    conn.on('blocked', (reason: string) => {
      if (connection === conn) blocked = reason;
      log?.warn({ reason }, 'RabbitMQ is blocking publishers');
    });
    conn.on('unblocked', () => {
      if (connection === conn) blocked = undefined;
      log?.info({}, 'RabbitMQ unblocked publishers');
    });
    // A throwing listener is reported here instead of being thrown out of amqplib's frame handling.
    const raw: unknown = conn.connection;
    if (raw instanceof EventEmitter) {
      raw.on('handler-error', (err: Error) => log?.error({ err }, 'RabbitMQ connection listener threw'));
    }
  }

  async function openPublisher(conn: ChannelModel): Promise<ConfirmPublisher> {
    const ch = await conn.createConfirmChannel();
    const p = createConfirmPublisher(ch, confirmTimeoutMs);
    ch.on('error', (err: Error) => log?.warn({ err }, 'publisher channel error'));
    ch.on('handler-error', (err: Error) => log?.error({ err }, 'publisher channel listener threw'));
    ch.on('close', () => {
      p.fail('publisher channel closed');
      if (publisher !== p) return;
      publisher = undefined;
      // Closed under a live connection (a channel error): reconnect to rebuild everything. Deferred, as
      // amqplib closes channels just before their connection, which then reports its own close.
      setImmediate(() => {
        if (connection === conn && !closed) void closeConnection(conn);
      });
    });
    return p;
  }

  /** Starts a consumer on the current connection; on failure, retries it alone with backoff. */
  async function startConsumer(c: RabbitConsumer): Promise<void> {
    const conn = connection;
    if (!conn || closed || !consumers.has(c)) return;
    try {
      await c.start(conn);
      consumerRetries.delete(c);
    } catch (err) {
      if (connection === conn && consumers.has(c) && !closed) {
        const retry = consumerRetries.get(c) ?? { attempt: 0 };
        consumerRetries.set(c, retry);
        clearTimeout(retry.timer);
        retry.timer = setTimeout(
          () => void startConsumer(c).catch(noop),
          backoffDelay(retry.attempt++, initialDelayMs, maxDelayMs),
        );
        log?.error({ err, consumer: c.spec.name }, 'could not start a consumer; retrying');
      }
      throw err;
    }
  }

  async function establish(): Promise<void> {
    let conn: ChannelModel | undefined;
    try {
      conn = await amqp.connect(url, { timeout: options.connectTimeoutMs ?? 10_000 });
      coalesceFrameWrites(conn);
      encodePublishesInOneBuffer(conn);
      watchConnection(conn);
      if (closed) throw new Error('bus is closed');
      // Set-up whose replies never come (a broker still booting, a half-dead link) must not hold this
      // attempt forever (nor close(), which waits for it): the socket is dropped, the calls fail, and the
      // next attempt is scheduled.
      const opened = conn;
      const guard = setTimeout(() => {
        log?.warn(
          { timeoutMs: operationTimeoutMs },
          'RabbitMQ set-up did not answer; dropping the connection',
        );
        destroySocket(opened);
      }, operationTimeoutMs);
      let p: ConfirmPublisher;
      try {
        // Recovery order (reliability.md §1.6): connection → channels → topology → consumers last.
        await declareTopology(conn, log);
        p = await openPublisher(conn);
      } finally {
        clearTimeout(guard);
      }
      if (closed) throw new Error('bus is closed');
      connection = conn;
      publisher = p;
      attempt = 0;
      lastError = undefined;
      log?.info({}, 'connected to RabbitMQ');
      for (const w of [...waiters]) w.resolve();
      await Promise.all([...consumers].map((c) => startConsumer(c).catch(noop)));
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
      if (!closed) log?.warn({ err }, 'could not connect to RabbitMQ; retrying');
      if (conn && connection !== conn) await closeConnection(conn);
      scheduleReconnect();
    } finally {
      firstAttemptDone = true;
    }
  }

  /** connection.close(), or the socket dropped if the broker does not answer it in time. */
  async function closeConnection(conn: ChannelModel): Promise<void> {
    if (!(await settledWithin(conn.close(), operationTimeoutMs))) destroySocket(conn);
  }

  function connect() {
    if (closed || connecting) return;
    connecting = establish().finally(() => (connecting = undefined));
  }

  function removeConsumer(c: RabbitConsumer) {
    consumers.delete(c);
    clearTimeout(consumerRetries.get(c)?.timer);
    consumerRetries.delete(c);
  }

  async function publishSlow(message: OutgoingMessage): Promise<void> {
    if (closed) throw new BusUnavailableError('bus is closed');
    if (!publisher && !firstAttemptDone && connecting) {
      // The very first connection attempt is under way: wait for its outcome, within the confirm timeout.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([connecting, new Promise((r) => (timer = setTimeout(r, confirmTimeoutMs)))]);
      clearTimeout(timer);
    }
    const p = publisher;
    if (!p) throw new BusUnavailableError(`not connected to RabbitMQ${lastError ? ` (${lastError})` : ''}`);
    await p.publish(message);
  }

  connect();

  return {
    kind: 'rabbitmq',
    publish(message) {
      // The common case without an async frame of its own: connected, the publisher's promise as it is.
      if (publisher && !closed) return publisher.publish(message);
      return publishSlow(message);
    },

    async subscribe(spec, handler): Promise<Subscription> {
      if (closed) throw new Error('bus is closed');
      const c = createRabbitConsumer(spec, handler, {
        logger: log,
        onChannelLost: () => setImmediate(() => void startConsumer(c).catch(noop)),
        rpcTimeoutMs: operationTimeoutMs,
        eventTypes,
      });
      consumers.add(c);
      try {
        // Not connected: wait for the (re)connection, which declares and starts this consumer too.
        if (!connection) await nextConnection();
        await startConsumer(c);
      } catch (err) {
        removeConsumer(c);
        await c.cancel().catch(noop);
        throw err;
      }
      return {
        async cancel() {
          removeConsumer(c);
          await c.cancel();
        },
      };
    },

    async check() {
      if (closed) throw new Error('bus is closed');
      if (!connection || !publisher) {
        throw new Error(`not connected to RabbitMQ${lastError ? ` (${lastError})` : ''}`);
      }
      if (blocked) throw new Error(`RabbitMQ is blocking publishers: ${blocked}`);
    },

    close() {
      closing ??= (async () => {
        closed = true;
        clearTimeout(reconnectTimer);
        for (const w of [...waiters]) w.reject(new Error('bus is closed'));
        // A connection attempt under way ends within its connect and set-up timeouts (then sees `closed`).
        if (connecting)
          await settledWithin(connecting, (options.connectTimeoutMs ?? 10_000) + operationTimeoutMs);
        const all = [...consumers];
        for (const c of all) removeConsumer(c);
        await Promise.allSettled(all.map((c) => c.cancel()));
        await publisher?.idle(); // each outstanding confirm is bounded by the confirm timeout
        const conn = connection;
        connection = undefined;
        publisher = undefined;
        if (conn) await closeConnection(conn);
      })();
      return closing;
    },
  };
}
