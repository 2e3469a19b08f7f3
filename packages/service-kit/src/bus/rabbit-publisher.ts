import { type ConfirmChannel, type Message } from 'amqplib';
import { toError } from './logger';
import { BusRefusedError, BusUnavailableError, EXCHANGE, type OutgoingMessage } from './types';

/** Publishes on one confirm channel; a new one is made for every channel the bus opens. */
export interface ConfirmPublisher {
  /** Resolves on the broker's confirm; rejects on nack, return, timeout or `fail`. */
  publish(message: OutgoingMessage): Promise<void>;
  /** The channel is gone: rejects every publish not confirmed yet, and every later one. */
  fail(reason: string): void;
  /** Resolves once no publish is outstanding (each one is bounded by the confirm timeout). */
  idle(): Promise<void>;
}

interface Pending {
  id: string;
  /** Date.now() after which it fails as not confirmed. */
  deadline: number;
  written: boolean;
  returned: boolean;
  done: boolean;
  settle(err?: Error): void;
}

export function createConfirmPublisher(channel: ConfirmChannel, confirmTimeoutMs: number): ConfirmPublisher {
  /** In publish order, so deadlines (publish time + the same timeout) grow along it. */
  const pending = new Set<Pending>();
  // ONE timer for every outstanding confirm (a timer per publish costs more than the publish itself at
  // thousands a second): it fires at the oldest deadline and fails what is overdue.
  let timer: NodeJS.Timeout | undefined;
  const expire = () => {
    timer = undefined;
    const now = Date.now();
    for (const p of pending) {
      if (p.deadline > now) break;
      p.settle(new BusUnavailableError(`publish of ${p.id} not confirmed within ${confirmTimeoutMs} ms`));
    }
    armTimer();
  };
  function armTimer() {
    if (timer || pending.size === 0) return;
    const oldest = pending.values().next().value!;
    timer = setTimeout(expire, Math.max(0, oldest.deadline - Date.now()));
  }
  const idleWaiters = new Set<() => void>();
  let failure: Error | undefined;
  // While the channel's write buffer is full: publishes wait for 'drain' instead of writing more.
  let gate: { promise: Promise<void>; open: () => void } | undefined;

  const openGate = () => {
    const g = gate;
    gate = undefined;
    g?.open();
  };
  const closeGate = () => {
    if (gate) return;
    let open!: () => void;
    const promise = new Promise<void>((r) => (open = r));
    gate = { promise, open };
  };

  channel.on('drain', openGate);
  // With `mandatory`, basic.return arrives before the ack of the same message. Returns come in publish
  // order, so the oldest written, unconfirmed publish with that id is the returned one.
  channel.on('return', (msg: Message) => {
    const id = msg.properties.messageId as unknown;
    for (const p of pending) {
      if (p.written && !p.returned && p.id === id) {
        p.returned = true;
        break;
      }
    }
  });

  function track(id: string, resolve: () => void, reject: (err: Error) => void): Pending {
    const entry: Pending = {
      id,
      deadline: Date.now() + confirmTimeoutMs,
      written: false,
      returned: false,
      done: false,
      settle(err) {
        if (entry.done) return;
        entry.done = true;
        pending.delete(entry);
        if (pending.size === 0 && timer) {
          clearTimeout(timer);
          timer = undefined;
        }
        if (err) reject(err);
        else resolve();
        if (pending.size === 0) for (const wake of idleWaiters) wake();
      },
    };
    pending.add(entry);
    armTimer();
    return entry;
  }

  /** Synchronous unless the channel's buffer is full (no promise per publish on the fast path). */
  function write(entry: Pending, message: OutgoingMessage): void {
    // Never write more while the buffer is full, and never re-publish what was buffered (a duplicate).
    if (gate && !entry.done) {
      void gate.promise.then(() => write(entry, message));
      return;
    }
    if (entry.done) return; // timed out or failed before it was written
    if (failure) {
      entry.settle(failure);
      return;
    }
    try {
      entry.written = true;
      const ok = channel.publish(
        EXCHANGE,
        message.routingKey,
        message.body,
        {
          persistent: true,
          mandatory: true,
          messageId: message.id,
          contentType: message.contentType ?? 'application/json',
          timestamp: Math.floor(Date.now() / 1000),
          ...(message.headers ? { headers: message.headers } : {}),
        },
        (err: unknown) => {
          // A nack (a full queue refusing publishes, an internal error of a queue process) or a channel
          // that closed first (then its loss has settled the publish already): the broker's failure, not the
          // message's.
          if (err) entry.settle(new BusRefusedError(`publish of ${message.id} nacked by the broker`));
          else if (entry.returned) entry.settle(new Error(`message ${message.id} was unroutable (returned)`));
          else entry.settle();
        },
      );
      if (!ok) closeGate();
    } catch (err) {
      entry.settle(toError(err));
    }
  }

  return {
    publish(message) {
      if (failure) return Promise.reject(failure);
      return new Promise<void>((resolve, reject) => write(track(message.id, resolve, reject), message));
    },
    fail(reason) {
      failure ??= new BusUnavailableError(reason);
      openGate();
      for (const p of [...pending]) p.settle(failure);
    },
    idle() {
      if (pending.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const wake = () => {
          idleWaiters.delete(wake);
          resolve();
        };
        idleWaiters.add(wake);
      });
    },
  };
}
