import amqp from 'amqplib';
import {
  createRabbitBus,
  EXCHANGE,
  TOPIC_EXCHANGE,
  UNROUTED_EXCHANGE,
  UNROUTED_QUEUE,
  type Bus,
  type BusLogger,
  type Disposition,
  type IncomingMessage,
  type RabbitBusOptions,
} from '../src/bus';
import { directKeys } from '../src/bus/rabbit-topology';
import { createTestVhost, type TestVhost } from '../src/testing/rabbit';

jest.setTimeout(30_000);

const noop = () => undefined;

/** Polls `probe` until `ok` holds or the deadline passes; returns the last value either way. */
async function until<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const isUp = (bus: Bus) =>
  bus.check().then(
    () => true,
    () => false,
  );

const event = (id: string, routingKey = 'test.thing.happened.v1') => ({
  id,
  routingKey,
  body: Buffer.from(JSON.stringify({ id })),
  headers: { 'x-tenant-id': 't1', traceparent: `00-${id}` },
});

function captureLogger() {
  const lines: { level: string; msg: string; obj: object }[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      lines.push({ level, msg, obj });
    };
  const logger: BusLogger = { info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

describe('createRabbitBus', () => {
  let vhost: TestVhost;
  let buses: Bus[] = [];
  let seq = 0;
  const uniqueName = (prefix: string) => `${prefix}-${++seq}`;
  const open = (extra: Partial<RabbitBusOptions> = {}) => {
    const bus = createRabbitBus({
      url: vhost.url,
      confirmTimeoutMs: 3_000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
      ...extra,
    });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    vhost = await createTestVhost('gm_bus');
  });
  afterEach(async () => {
    await Promise.all(buses.map((b) => b.close()));
    buses = [];
  });
  afterAll(async () => {
    await vhost.drop();
  });

  it('resolves publish after the confirm and delivers body, headers and message id', async () => {
    const bus = open();
    const got: IncomingMessage[] = [];
    await bus.subscribe({ name: uniqueName('basic'), bindings: ['test.thing.*.v1'] }, async (m) => {
      got.push(m);
      return 'ack';
    });
    await bus.publish(event('m-1'));
    await until(
      () => got.length,
      (n) => n >= 1,
    );
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      id: 'm-1',
      routingKey: 'test.thing.happened.v1',
      redelivered: false,
      deliveryCount: 0,
      headers: { 'x-tenant-id': 't1', traceparent: '00-m-1' },
    });
    expect(got[0]!.body.toString()).toBe(JSON.stringify({ id: 'm-1' }));
  });

  it('routes a known type by the direct exchange and any other by the topic exchange, each message once', async () => {
    const bus = open({ eventTypes: ['test.direct.made.v1', 'test.direct.kept.v1', 'test.other.made.v1'] });
    const got: string[] = [];
    await bus.subscribe({ name: uniqueName('direct'), bindings: ['test.direct.*.v1'] }, async (m) => {
      got.push(m.id!);
      return 'ack';
    });
    // Bound on both exchanges, a known type is still delivered once (the topic exchange only sees what the
    // direct one could not route); a type no registry knew reaches the queue by its pattern. The queue
    // keeps publish order, and a second copy would come before the fence.
    await bus.publish(event('known-1', 'test.direct.made.v1'));
    await bus.publish(event('unknown-1', 'test.direct.other.v1'));
    await bus.publish(event('fence-1', 'test.direct.kept.v1'));
    expect(
      await until(
        () => [...got],
        (g) => g.includes('fence-1'),
      ),
    ).toEqual(['known-1', 'unknown-1', 'fence-1']);
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    try {
      // Without the topic exchange only the direct one routes: the known type (the pattern expanded to it)
      // still arrives, the unknown one has nowhere to go and comes back.
      await ch.deleteExchange(TOPIC_EXCHANGE);
      await bus.publish(event('known-2', 'test.direct.made.v1'));
      await expect(bus.publish(event('unknown-2', 'test.direct.other.v1'))).rejects.toThrow(/unroutable/);
      await bus.publish(event('fence-2', 'test.direct.kept.v1'));
      expect(
        await until(
          () => [...got],
          (g) => g.includes('fence-2'),
        ),
      ).toEqual(['known-1', 'unknown-1', 'fence-1', 'known-2', 'fence-2']);
    } finally {
      await ch.assertExchange(TOPIC_EXCHANGE, 'topic', {
        durable: true,
        alternateExchange: UNROUTED_EXCHANGE,
      });
      await conn.close();
    }
  });

  it('keeps an event no consumer is bound to in geminis.unrouted', async () => {
    const bus = open();
    await bus.publish(event('lonely-1', 'nobody.listens.here.v1'));
    const kept = await vhost.takeMessages(UNROUTED_QUEUE);
    expect(kept.map((m) => m.properties.messageId as unknown)).toContain('lonely-1');
  });

  it('rejects a publish that the broker returns as unroutable', async () => {
    const bus = open();
    await until(() => isUp(bus), Boolean);
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    try {
      // Without a queue behind the alternate exchange, a mandatory publish comes back as basic.return.
      await ch.deleteQueue(UNROUTED_QUEUE);
      await expect(bus.publish(event('returned-1', 'nobody.listens.v1'))).rejects.toThrow(/unroutable/);
    } finally {
      await ch.assertQueue(UNROUTED_QUEUE, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await ch.bindQueue(UNROUTED_QUEUE, UNROUTED_EXCHANGE, '');
      await conn.close();
    }
  });

  it('dead-letters a poison message after the delivery limit while later messages keep flowing', async () => {
    const bus = open();
    const name = uniqueName('poison');
    const counts = new Map<string, number[]>();
    const acked: string[] = [];
    await bus.subscribe(
      { name, bindings: ['test.poison.#'], deliveryLimit: 2, prefetch: 5 },
      async (m): Promise<Disposition> => {
        counts.set(m.id!, [...(counts.get(m.id!) ?? []), m.deliveryCount]);
        if (m.id === 'throws') throw new Error('cannot handle this');
        if (m.id === 'retries') return 'retry';
        acked.push(m.id!);
        return 'ack';
      },
    );
    await bus.publish(event('throws', 'test.poison.x'));
    await bus.publish(event('retries', 'test.poison.x'));
    for (let i = 0; i < 5; i++) await bus.publish(event(`good-${i}`, 'test.poison.x'));

    expect(
      await until(
        () => vhost.queueDepth(`${name}.dlq`),
        (n) => n >= 2,
      ),
    ).toBe(2);
    const dead = await vhost.takeMessages(`${name}.dlq`);
    expect(dead.map((m) => m.properties.messageId as unknown).sort()).toEqual(['retries', 'throws']);
    const death = (dead[0]!.properties.headers?.['x-death'] as { reason: string }[])[0];
    expect(death?.reason).toBe('delivery_limit');
    // RabbitMQ 3.10: deliveryLimit + 1 deliveries, counted by x-delivery-count.
    expect(counts.get('throws')).toEqual([0, 1, 2]);
    expect(counts.get('retries')).toEqual([0, 1, 2]);
    expect(acked.sort()).toEqual(['good-0', 'good-1', 'good-2', 'good-3', 'good-4']);
  });

  it("sends a 'dead-letter' disposition straight to the dead-letter queue", async () => {
    const bus = open();
    const name = uniqueName('invalid');
    let calls = 0;
    await bus.subscribe({ name, bindings: ['test.invalid.#'] }, async () => {
      calls += 1;
      return 'dead-letter';
    });
    await bus.publish(event('invalid-1', 'test.invalid.x'));
    const dead = await until(
      () => vhost.takeMessages(`${name}.dlq`),
      (msgs) => msgs.length > 0,
    );
    expect(dead.map((m) => m.properties.messageId as unknown)).toEqual(['invalid-1']);
    const death = (dead[0]!.properties.headers?.['x-death'] as { reason: string }[])[0];
    expect(death?.reason).toBe('rejected');
    expect(calls).toBe(1);
  });

  it('gives every instance of a per-instance consumer every message, and removes an unused instance queue', async () => {
    const [a, b] = [open(), open()];
    const name = uniqueName('replicas');
    const seen: Record<string, string[]> = { a: [], b: [] };
    const spec = (instance: string) => ({ name, bindings: ['test.replica.#'], instance, expiresMs: 1_500 });
    const subA = await a.subscribe(spec('a'), async (m) => {
      seen.a!.push(m.id ?? '');
      return 'ack';
    });
    await b.subscribe(spec('b'), async (m) => {
      seen.b!.push(m.id ?? '');
      return m.id === 'replica-poison' ? 'dead-letter' : 'ack';
    });
    await a.publish(event('replica-1', 'test.replica.x'));
    await a.publish(event('replica-2', 'test.replica.y'));
    await until(
      () => seen,
      (s) => s.a!.length === 2 && s.b!.length === 2,
    );
    expect(seen.a!.sort()).toEqual(['replica-1', 'replica-2']);
    expect(seen.b!.sort()).toEqual(['replica-1', 'replica-2']);

    // An instance's dead letters go to the consumer's one dead-letter queue.
    await a.publish(event('replica-poison', 'test.replica.z'));
    const dead = await until(
      () => vhost.takeMessages(`${name}.dlq`),
      (msgs) => msgs.length > 0,
    );
    expect(dead.map((m) => m.properties.messageId as unknown)).toEqual(['replica-poison']);

    // A replica that is gone leaves no queue behind once the expiry passes; the live one keeps its own.
    await subA.cancel();
    const conn = await amqp.connect(vhost.url);
    const exists = async (queue: string) => {
      const ch = await conn.createChannel();
      ch.on('error', noop);
      try {
        await ch.checkQueue(queue);
        await ch.close();
        return true;
      } catch {
        return false;
      }
    };
    try {
      expect(await exists(`${name}.a`)).toBe(true);
      expect(
        await until(
          () => exists(`${name}.a`),
          (e) => !e,
        ),
      ).toBe(false);
      expect(await exists(`${name}.b`)).toBe(true);
    } finally {
      await conn.close();
    }
  });

  it('never has more deliveries in flight than the prefetch', async () => {
    const bus = open();
    let inFlight = 0;
    let peak = 0;
    let done = 0;
    await bus.subscribe(
      { name: uniqueName('prefetch'), bindings: ['test.prefetch.#'], prefetch: 3 },
      async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 30));
        inFlight -= 1;
        done += 1;
        return 'ack';
      },
    );
    await Promise.all(Array.from({ length: 12 }, (_, i) => bus.publish(event(`p${i}`, 'test.prefetch.x'))));
    expect(
      await until(
        () => done,
        (n) => n >= 12,
      ),
    ).toBe(12);
    expect(peak).toBe(3);
  });

  it('confirms and delivers a large burst of concurrent publishes', async () => {
    const bus = open({ confirmTimeoutMs: 15_000 });
    const got = new Set<string>();
    await bus.subscribe(
      { name: uniqueName('burst'), bindings: ['test.burst.#'], prefetch: 200 },
      async (m) => {
        got.add(m.id!);
        return 'ack';
      },
    );
    const body = Buffer.alloc(2048, 'x');
    const n = 3000;
    const results = await Promise.allSettled(
      Array.from({ length: n }, (_, i) => bus.publish({ ...event(`b${i}`, 'test.burst.x'), body })),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(
      await until(
        () => got.size,
        (size) => size >= n,
        20_000,
      ),
    ).toBe(n);
  });

  it('stops consuming on cancel and waits for the handler in flight', async () => {
    const bus = open();
    const name = uniqueName('cancel');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const started: string[] = [];
    const sub = await bus.subscribe({ name, bindings: ['test.cancel.#'] }, async (m) => {
      started.push(m.id!);
      await gate;
      return 'ack';
    });
    await bus.publish(event('slow', 'test.cancel.x'));
    await until(
      () => started.length,
      (n) => n >= 1,
    );
    let cancelled = false;
    const cancelling = sub.cancel().then(() => (cancelled = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(cancelled).toBe(false);
    release();
    await cancelling;
    await bus.publish(event('after-cancel', 'test.cancel.x'));
    // The in-flight one was acked before the channel closed; the later one waits in the queue.
    expect(
      await until(
        () => vhost.queueDepth(name),
        (n) => n >= 1,
      ),
    ).toBe(1);
    expect(started).toEqual(['slow']);
  });

  it('delivers every confirmed message when connections are dropped mid-stream', async () => {
    const pubLog = captureLogger();
    const subLog = captureLogger();
    const publisher = open({ logger: pubLog.logger });
    const subscriber = open({ logger: subLog.logger });
    const got = new Set<string>();
    await subscriber.subscribe({ name: uniqueName('stream'), bindings: ['test.stream.#'] }, async (m) => {
      got.add(m.id!);
      return 'ack';
    });
    let confirmed = 0;
    let rejected = 0;
    const publishUntilConfirmed = async (id: string) => {
      for (;;) {
        try {
          await publisher.publish(event(id, 'test.stream.x'));
          confirmed += 1;
          return;
        } catch {
          rejected += 1; // what the outbox relay does: try again later
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    // Windows of 10 concurrent publishes, until both drops are over and at least 300 were sent.
    let dropsDone = false;
    let n = 0;
    const stream = (async () => {
      while (!dropsDone || n < 300) {
        const ids = Array.from({ length: 10 }, (_, k) => `s${n + k}`);
        n += ids.length;
        await Promise.all(ids.map(publishUntilConfirmed));
      }
    })();
    const connections = (log: typeof pubLog) =>
      log.lines.filter((l) => l.msg === 'connected to RabbitMQ').length;
    for (const [drop, after] of [50, 150].entries()) {
      await until(
        () => confirmed,
        (c) => c >= after,
      );
      // Each drop must find both sides connected again (publishing may outrun the subscriber's reconnect).
      await until(
        () => Math.min(connections(pubLog), connections(subLog)),
        (c) => c >= drop + 1,
      );
      await vhost.closeConnections();
    }
    dropsDone = true;
    await stream;

    expect(
      await until(
        () => got.size,
        (size) => size >= n,
        15_000,
      ),
    ).toBe(n);
    expect(rejected).toBeGreaterThan(0);
    // Both sides come back after the second drop too: waited for, since the stream may have ended (and every
    // message arrived) before either side's reconnect, which then only follows its backoff.
    for (const log of [pubLog, subLog]) {
      expect(
        await until(
          () => connections(log),
          (c) => c >= 3,
        ),
      ).toBeGreaterThanOrEqual(3);
    }
  });

  it('handles the error of a killed connection without crashing and recovers', async () => {
    const { logger, lines } = captureLogger();
    const bus = open({ logger });
    const got = new Set<string>();
    await bus.subscribe({ name: uniqueName('survivor'), bindings: ['test.survive.#'] }, async (m) => {
      got.add(m.id!);
      return 'ack';
    });
    await bus.publish(event('before', 'test.survive.x'));
    await vhost.closeConnections();
    expect(await until(() => isUp(bus).then((up) => !up), Boolean, 5_000)).toBe(true);
    expect(await until(() => isUp(bus), Boolean)).toBe(true);
    await bus.publish(event('after', 'test.survive.x'));
    await until(
      () => got.size,
      (size) => size >= 2,
    );
    expect([...got].sort()).toEqual(['after', 'before']);
    const lost = lines.filter((l) => l.msg === 'lost the RabbitMQ connection; reconnecting');
    expect(lost.map((l) => (l.obj as { reason: string }).reason)).toEqual([
      expect.stringMatching(/CONNECTION_FORCED/),
    ]);
  });

  it("survives a channel 'error' event (publishing to a deleted exchange) and rebuilds the topology", async () => {
    const { logger, lines } = captureLogger();
    const bus = open({ logger });
    const got = new Set<string>();
    await bus.subscribe({ name: uniqueName('rebuild'), bindings: ['test.rebuild.#'] }, async (m) => {
      got.add(m.id!);
      return 'ack';
    });
    const conn = await amqp.connect(vhost.url);
    const ch = await conn.createChannel();
    await ch.deleteExchange(EXCHANGE);
    await conn.close();
    // basic.publish to a missing exchange: the broker closes the channel with 404, an 'error' event.
    await expect(bus.publish(event('lost', 'test.rebuild.x'))).rejects.toThrow();
    expect(lines.filter((l) => l.msg === 'publisher channel error').length).toBe(1);
    await until(async () => {
      await bus.publish(event('again', 'test.rebuild.x')).catch(noop);
      return got.has('again');
    }, Boolean);
    expect(got.has('again')).toBe(true);
    expect(got.has('lost')).toBe(false);
  });

  it('rejects publishes promptly while it cannot reconnect, and publishes again once it can', async () => {
    const bus = open();
    await until(() => isUp(bus), Boolean);
    await vhost.setAccess(false);
    try {
      await vhost.closeConnections();
      expect(await until(() => isUp(bus).then((up) => !up), Boolean, 5_000)).toBe(true);
      const started = Date.now();
      await expect(bus.publish(event('while-down'))).rejects.toThrow(/not connected/);
      expect(Date.now() - started).toBeLessThan(500);
    } finally {
      await vhost.setAccess(true);
    }
    expect(await until(() => isUp(bus), Boolean)).toBe(true);
    await expect(bus.publish(event('back-up', 'nobody.listens.v1'))).resolves.toBeUndefined();
  });

  it('rejects a publish promptly when no broker listens', async () => {
    const bus = createRabbitBus({ url: 'amqp://guest:guest@127.0.0.1:1', confirmTimeoutMs: 2_000 });
    buses.push(bus);
    const started = Date.now();
    await expect(bus.publish(event('nowhere'))).rejects.toThrow(/not connected/);
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(bus.check()).rejects.toThrow(/not connected/);
  });
});

describe('directKeys', () => {
  const types = ['identity.reseller.created.v1', 'identity.reseller.updated.v1', 'identity.user.created.v1'];

  it('binds a plain name as itself, known or not', () => {
    expect(directKeys('billing.invoice.paid.v1', types)).toEqual(['billing.invoice.paid.v1']);
  });

  it('expands a pattern to every known type it matches, and to nothing when none does', () => {
    expect(directKeys('identity.reseller.*.v1', types)).toEqual([
      'identity.reseller.created.v1',
      'identity.reseller.updated.v1',
    ]);
    expect(directKeys('identity.#', types)).toEqual(types);
    expect(directKeys('catalog.#', types)).toEqual([]);
  });
});
