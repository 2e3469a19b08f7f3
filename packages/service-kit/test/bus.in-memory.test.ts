import { createInMemoryBus, topicMatches, type Disposition, type IncomingMessage } from '../src/bus';

/** Polls `probe` until `ok` holds or the deadline passes; returns the last value either way. */
async function until<T>(probe: () => T, ok: (v: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const event = (id: string, routingKey = 'test.thing.happened.v1') => ({
  id,
  routingKey,
  body: Buffer.from(JSON.stringify({ id })),
  headers: { 'x-tenant-id': 't1' },
});

describe('topicMatches', () => {
  it.each([
    ['billing.invoice.paid.v1', 'billing.invoice.paid.v1', true],
    ['billing.*.paid.v1', 'billing.invoice.paid.v1', true],
    ['billing.*.paid.v1', 'billing.invoice.line.paid.v1', false],
    ['billing.#', 'billing.invoice.paid.v1', true],
    ['billing.#', 'billing', true],
    ['#.v1', 'catalog.plan.created.v1', true],
    ['billing.#.v2', 'billing.invoice.paid.v1', false],
    ['*', 'billing.invoice', false],
    ['#', 'anything.at.all', true],
  ])('matches %s against %s: %s', (pattern, key, expected) => {
    expect(topicMatches(pattern, key)).toBe(expected);
  });
});

describe('createInMemoryBus', () => {
  it('delivers body, headers and id asynchronously, never inside the publish call', async () => {
    const bus = createInMemoryBus();
    const got: IncomingMessage[] = [];
    await bus.subscribe({ name: 'basic', bindings: ['test.thing.*.v1'] }, async (m) => {
      got.push(m);
      return 'ack';
    });
    const publishing = bus.publish(event('m-1'));
    expect(got).toHaveLength(0);
    await publishing;
    expect(got).toHaveLength(0);
    await until(
      () => got.length,
      (n) => n >= 1,
    );
    expect(got[0]).toMatchObject({
      id: 'm-1',
      redelivered: false,
      deliveryCount: 0,
      headers: { 'x-tenant-id': 't1' },
    });
    expect(got[0]!.body.toString()).toBe(JSON.stringify({ id: 'm-1' }));
    await bus.close();
  });

  it('routes by topic pattern and keeps what matches no binding', async () => {
    const bus = createInMemoryBus();
    const got: string[] = [];
    await bus.subscribe({ name: 'router', bindings: ['billing.*.paid.v1', 'catalog.#'] }, async (m) => {
      got.push(m.routingKey);
      return 'ack';
    });
    for (const key of ['billing.invoice.paid.v1', 'catalog.plan.created.v1', 'billing.invoice.voided.v1']) {
      await bus.publish(event(key, key));
    }
    await until(
      () => got.length,
      (n) => n >= 2,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(got.sort()).toEqual(['billing.invoice.paid.v1', 'catalog.plan.created.v1']);
    expect(bus.unrouted().map((m) => m.id)).toEqual(['billing.invoice.voided.v1']);
    await bus.close();
  });

  it('redelivers a retried or throwing message with a growing count, then dead-letters it past the limit', async () => {
    const bus = createInMemoryBus();
    const seen = new Map<string, [number, boolean][]>();
    await bus.subscribe({ name: 'poison', bindings: ['test.#'], deliveryLimit: 2 }, async (m) => {
      seen.set(m.id!, [...(seen.get(m.id!) ?? []), [m.deliveryCount, m.redelivered]]);
      if (m.id === 'throws') throw new Error('cannot handle');
      return 'retry';
    });
    await bus.publish(event('throws'));
    await bus.publish(event('retries'));
    await until(
      () => bus.deadLetters('poison').length,
      (n) => n >= 2,
    );
    // deliveryLimit + 1 deliveries, as RabbitMQ 3.10 quorum queues do.
    const expected = [
      [0, false],
      [1, true],
      [2, true],
    ];
    expect(seen.get('throws')).toEqual(expected);
    expect(seen.get('retries')).toEqual(expected);
    expect(
      bus
        .deadLetters('poison')
        .map((m) => m.id)
        .sort(),
    ).toEqual(['retries', 'throws']);
    await bus.close();
  });

  it('keeps delivering good messages while a poison message is retried', async () => {
    const bus = createInMemoryBus();
    const acked: string[] = [];
    await bus.subscribe(
      { name: 'mixed', bindings: ['test.#'], prefetch: 1 },
      async (m): Promise<Disposition> => {
        if (m.id === 'poison') return 'retry';
        acked.push(m.id!);
        return 'ack';
      },
    );
    await bus.publish(event('poison'));
    for (let i = 0; i < 3; i++) await bus.publish(event(`good-${i}`));
    await until(
      () => acked.length,
      (n) => n >= 3,
    );
    expect(acked).toEqual(['good-0', 'good-1', 'good-2']);
    expect(bus.deadLetters('mixed').map((m) => m.id)).toEqual(['poison']);
    await bus.close();
  });

  it("dead-letters a 'dead-letter' disposition at once", async () => {
    const bus = createInMemoryBus();
    let calls = 0;
    await bus.subscribe({ name: 'invalid', bindings: ['test.#'] }, async () => {
      calls += 1;
      return 'dead-letter';
    });
    await bus.publish(event('invalid-1'));
    await until(
      () => bus.deadLetters('invalid').length,
      (n) => n >= 1,
    );
    await new Promise((r) => setTimeout(r, 20));
    expect(calls).toBe(1);
    expect(bus.deadLetters('invalid').map((m) => m.id)).toEqual(['invalid-1']);
    await bus.close();
  });

  it('delivers in publish order and never has more in flight than the prefetch', async () => {
    const bus = createInMemoryBus();
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    await bus.subscribe({ name: 'bounded', bindings: ['test.#'], prefetch: 3 }, async (m) => {
      order.push(m.id!);
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return 'ack';
    });
    const ids = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);
    for (const id of ids) await bus.publish(event(id));
    await until(
      () => order.length,
      (n) => n >= 12,
    );
    expect(order).toEqual(ids);
    expect(peak).toBe(3);
    await bus.close();
  });

  it('delivers nothing published before the queue existed, but keeps the queue across re-subscriptions', async () => {
    const bus = createInMemoryBus();
    await bus.publish(event('too-early'));
    const got: string[] = [];
    const handler = async (m: IncomingMessage): Promise<Disposition> => {
      got.push(m.id!);
      return 'ack';
    };
    const first = await bus.subscribe({ name: 'durable', bindings: ['test.#'] }, handler);
    await first.cancel();
    await bus.publish(event('while-away'));
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toEqual([]);
    await bus.subscribe({ name: 'durable', bindings: ['test.#'] }, handler);
    await until(
      () => got.length,
      (n) => n >= 1,
    );
    expect(got).toEqual(['while-away']);
    expect(bus.unrouted().map((m) => m.id)).toEqual(['too-early']);
    await bus.close();
  });

  it('waits on cancel for the handler in flight', async () => {
    const bus = createInMemoryBus();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started = false;
    const sub = await bus.subscribe({ name: 'slow', bindings: ['test.#'] }, async () => {
      started = true;
      await gate;
      return 'ack';
    });
    await bus.publish(event('slow-1'));
    await until(() => started, Boolean);
    let cancelled = false;
    const cancelling = sub.cancel().then(() => (cancelled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(cancelled).toBe(false);
    release();
    await cancelling;
    expect(cancelled).toBe(true);
    await bus.close();
  });

  it('shares a queue between competing consumers of the same name', async () => {
    const bus = createInMemoryBus();
    const byConsumer = { a: 0, b: 0 };
    const slowAck = (who: 'a' | 'b') => async (): Promise<Disposition> => {
      byConsumer[who] += 1;
      await new Promise((r) => setTimeout(r, 2));
      return 'ack';
    };
    await bus.subscribe({ name: 'shared', bindings: ['test.#'], prefetch: 1 }, slowAck('a'));
    await bus.subscribe({ name: 'shared', bindings: ['test.#'], prefetch: 1 }, slowAck('b'));
    for (let i = 0; i < 10; i++) await bus.publish(event(`s${i}`));
    await until(
      () => byConsumer.a + byConsumer.b,
      (n) => n >= 10,
    );
    expect(byConsumer.a + byConsumer.b).toBe(10);
    expect(byConsumer.a).toBeGreaterThan(0);
    expect(byConsumer.b).toBeGreaterThan(0);
    await bus.close();
  });

  it('refuses to publish or report ready once closed', async () => {
    const bus = createInMemoryBus();
    await expect(bus.check()).resolves.toBeUndefined();
    await bus.close();
    await expect(bus.check()).rejects.toThrow(/closed/);
    await expect(bus.publish(event('late'))).rejects.toThrow(/closed/);
  });
});
