import {
  type Bus,
  type ConsumerSpec,
  type IncomingMessage,
  type MessageHandler,
  type OutgoingMessage,
  type Subscription,
} from './types';
import { topicMatches } from './topic';

interface Queued {
  message: OutgoingMessage;
  deliveryCount: number;
}

interface Queue {
  spec: ConsumerSpec;
  messages: Queued[];
  deadLetters: IncomingMessage[];
  handler?: MessageHandler;
  inFlight: number;
  settled: Set<Promise<void>>;
}

export interface InMemoryBus extends Bus {
  deadLetters(consumerName: string): IncomingMessage[];
  unrouted(): OutgoingMessage[];
}

/**
 * The embedded mode's bus, with RabbitMQ's semantics as this project uses them: a queue per consumer that
 * outlives its subscription, asynchronous at-least-once delivery bounded by prefetch, redelivery on
 * 'retry' up to the delivery limit, then the dead-letter list; unrouted messages are kept.
 */
export function createInMemoryBus(): InMemoryBus {
  const queues = new Map<string, Queue>();
  const unrouted: OutgoingMessage[] = [];
  let closed = false;

  const toIncoming = (q: Queued): IncomingMessage => ({
    id: q.message.id,
    routingKey: q.message.routingKey,
    body: q.message.body,
    headers: { ...q.message.headers },
    redelivered: q.deliveryCount > 0,
    deliveryCount: q.deliveryCount,
  });

  function pump(queue: Queue): void {
    const prefetch = queue.spec.prefetch ?? 20;
    while (queue.handler && queue.inFlight < prefetch && queue.messages.length > 0) {
      const item = queue.messages.shift()!;
      const handler = queue.handler;
      queue.inFlight += 1;
      const done = (async () => {
        let disposition: Awaited<ReturnType<MessageHandler>>;
        try {
          disposition = await handler(toIncoming(item));
        } catch {
          disposition = 'retry';
        }
        queue.inFlight -= 1;
        if (disposition === 'retry') {
          const next = { message: item.message, deliveryCount: item.deliveryCount + 1 };
          if (next.deliveryCount >= (queue.spec.deliveryLimit ?? 5)) queue.deadLetters.push(toIncoming(next));
          else queue.messages.unshift(next);
        } else if (disposition === 'dead-letter') {
          queue.deadLetters.push(toIncoming(item));
        }
        setImmediate(() => pump(queue));
      })();
      queue.settled.add(done);
      void done.finally(() => queue.settled.delete(done));
    }
  }

  return {
    kind: 'in-memory',
    async publish(message) {
      if (closed) throw new Error('bus is closed');
      const targets = [...queues.values()].filter((q) =>
        q.spec.bindings.some((b) => topicMatches(b, message.routingKey)),
      );
      if (targets.length === 0) unrouted.push(message);
      for (const q of targets) q.messages.push({ message, deliveryCount: 0 });
      // Delivery never happens inside publish's call stack.
      for (const q of targets) setImmediate(() => pump(q));
      await Promise.resolve();
    },
    async subscribe(spec, handler): Promise<Subscription> {
      if (closed) throw new Error('bus is closed');
      let queue = queues.get(spec.name);
      if (!queue) {
        queue = { spec, messages: [], deadLetters: [], inFlight: 0, settled: new Set() };
        queues.set(spec.name, queue);
      } else {
        queue.spec = spec;
      }
      const q = queue;
      q.handler = handler;
      setImmediate(() => pump(q));
      return {
        async cancel() {
          if (q.handler === handler) q.handler = undefined;
          await Promise.allSettled([...q.settled]);
        },
      };
    },
    async check() {
      if (closed) throw new Error('bus is closed');
    },
    async close() {
      closed = true;
      for (const q of queues.values()) q.handler = undefined;
      await Promise.allSettled([...queues.values()].flatMap((q) => [...q.settled]));
    },
    deadLetters: (name) => [...(queues.get(name)?.deadLetters ?? [])],
    unrouted: () => [...unrouted],
  };
}
