import { type BusLogger } from './logger';
import { topicMatches } from './topic';
import {
  consumerQueue,
  type Bus,
  type Disposition,
  type IncomingMessage,
  type MessageHandler,
  type OutgoingMessage,
  type Subscription,
} from './types';

export interface InMemoryBus extends Bus {
  /** What the consumer's dead-letter queue holds, oldest first. */
  deadLetters(consumerName: string): IncomingMessage[];
  /** Messages that matched no binding when published (RabbitMQ's `geminis.unrouted`). */
  unrouted(): OutgoingMessage[];
}

export interface InMemoryBusOptions {
  logger?: BusLogger;
}

interface Queued {
  message: OutgoingMessage;
  deliveryCount: number;
}

interface Consumer {
  handler: MessageHandler;
  prefetch: number;
  inFlight: Set<Promise<void>>;
}

interface Queue {
  name: string;
  bindings: Set<string>;
  deliveryLimit: number;
  ready: Queued[];
  consumers: Consumer[];
  nextConsumer: number;
  pumpScheduled: boolean;
  deadLetters: IncomingMessage[];
}

const dispositions: ReadonlySet<unknown> = new Set<Disposition>(['ack', 'retry', 'dead-letter']);

const toIncoming = (q: Queued): IncomingMessage => ({
  id: q.message.id,
  routingKey: q.message.routingKey,
  body: Buffer.from(q.message.body),
  headers: { ...q.message.headers },
  redelivered: q.deliveryCount > 0,
  deliveryCount: q.deliveryCount,
});

/**
 * The embedded mode's bus, with the RabbitMQ adapter's semantics: a queue per consumer name that outlives
 * its subscriptions and receives only what is published after it is bound; asynchronous delivery in FIFO
 * order, at most `prefetch` in flight per consumer, competing consumers served in turn; 'retry' (or a
 * throw) redelivers with deliveryCount + 1 until a delivery with deliveryCount = deliveryLimit fails too
 * (deliveryLimit + 1 deliveries in all, as RabbitMQ 3.10 does), then dead-letters; 'dead-letter'
 * dead-letters at once. Unrouted messages are kept.
 */
export function createInMemoryBus(options: InMemoryBusOptions = {}): InMemoryBus {
  const log = options.logger;
  const queues = new Map<string, Queue>();
  const unrouted: OutgoingMessage[] = [];
  const running = new Set<Promise<void>>();
  let closed = false;

  function schedule(queue: Queue) {
    if (queue.pumpScheduled) return;
    queue.pumpScheduled = true;
    setImmediate(() => {
      queue.pumpScheduled = false;
      pump(queue);
    });
  }

  function nextFreeConsumer(queue: Queue): Consumer | undefined {
    const n = queue.consumers.length;
    for (let i = 0; i < n; i++) {
      const c = queue.consumers[(queue.nextConsumer + i) % n];
      if (c && c.inFlight.size < c.prefetch) {
        queue.nextConsumer = (queue.nextConsumer + i + 1) % n;
        return c;
      }
    }
    return undefined;
  }

  function pump(queue: Queue) {
    for (;;) {
      if (queue.ready.length === 0) return;
      const consumer = nextFreeConsumer(queue);
      if (!consumer) return;
      deliver(queue, consumer, queue.ready.shift()!);
    }
  }

  function settle(queue: Queue, item: Queued, disposition: Disposition) {
    switch (disposition) {
      case 'ack':
        return;
      case 'retry':
        if (item.deliveryCount >= queue.deliveryLimit) queue.deadLetters.push(toIncoming(item));
        else queue.ready.unshift({ message: item.message, deliveryCount: item.deliveryCount + 1 });
        return;
      case 'dead-letter':
        queue.deadLetters.push(toIncoming(item));
        return;
    }
  }

  function deliver(queue: Queue, consumer: Consumer, item: Queued) {
    const context = { consumer: queue.name, messageId: item.message.id };
    const work = (async () => {
      let disposition: Disposition;
      try {
        disposition = await consumer.handler(toIncoming(item));
        if (!dispositions.has(disposition)) {
          log?.error({ ...context, disposition }, 'unknown disposition; will retry');
          disposition = 'retry';
        }
      } catch (err) {
        log?.error({ ...context, err }, 'message handler threw; will retry');
        disposition = 'retry';
      }
      settle(queue, item, disposition);
    })();
    consumer.inFlight.add(work);
    running.add(work);
    void work.finally(() => {
      consumer.inFlight.delete(work);
      running.delete(work);
      schedule(queue);
    });
  }

  function declareQueue(name: string, bindings: string[], deliveryLimit: number): Queue {
    const existing = queues.get(name);
    if (existing && existing.deliveryLimit !== deliveryLimit) {
      // What RabbitMQ answers when a queue is re-declared with other arguments.
      throw new Error(`PRECONDITION_FAILED - inequivalent arg 'x-delivery-limit' for queue '${name}'`);
    }
    const queue = existing ?? {
      name,
      bindings: new Set<string>(),
      deliveryLimit,
      ready: [],
      consumers: [],
      nextConsumer: 0,
      pumpScheduled: false,
      deadLetters: [],
    };
    queues.set(name, queue);
    // Bindings accumulate, as they do on a durable queue that is never unbound.
    for (const b of bindings) queue.bindings.add(b);
    return queue;
  }

  return {
    kind: 'in-memory',
    async publish(message) {
      if (closed) throw new Error('bus is closed');
      let routed = false;
      for (const queue of queues.values()) {
        if (![...queue.bindings].some((b) => topicMatches(b, message.routingKey))) continue;
        routed = true;
        queue.ready.push({ message, deliveryCount: 0 });
        schedule(queue); // delivery never happens inside publish's call stack
      }
      if (!routed) unrouted.push(message);
      return Promise.resolve();
    },

    async subscribe(spec, handler): Promise<Subscription> {
      if (closed) throw new Error('bus is closed');
      const queue = declareQueue(consumerQueue(spec), spec.bindings, spec.deliveryLimit ?? 5);
      const consumer: Consumer = { handler, prefetch: spec.prefetch ?? 20, inFlight: new Set() };
      queue.consumers.push(consumer);
      schedule(queue);
      return Promise.resolve({
        async cancel() {
          queue.consumers = queue.consumers.filter((c) => c !== consumer);
          await Promise.allSettled([...consumer.inFlight]);
        },
      });
    },

    async check() {
      if (closed) throw new Error('bus is closed');
      return Promise.resolve();
    },

    async close() {
      closed = true;
      for (const queue of queues.values()) queue.consumers = [];
      await Promise.allSettled([...running]);
    },

    deadLetters: (name) => [...(queues.get(name)?.deadLetters ?? [])],
    unrouted: () => [...unrouted],
  };
}
