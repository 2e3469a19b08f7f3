import { createRabbitBus, type Bus, type Disposition } from '../src/bus';
import { createTestVhost, type TestVhost } from '../src/testing/rabbit';

/*
 * The consumer sends acks in as few frames as it can (one ack(multiple) for a run of settled deliveries).
 * These guard what that must never change: a delivery still in its handler is never covered by a later
 * ack, and everything a handler acked is acknowledged with the broker by the time the consumer stops.
 */

jest.setTimeout(30_000);

async function until<T>(probe: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const event = (id: string, routingKey: string) => ({
  id,
  routingKey,
  body: Buffer.from(JSON.stringify({ id })),
  headers: { 'x-tenant-id': 't1' },
});

describe('rabbit consumer acks', () => {
  let vhost: TestVhost;
  let buses: Bus[] = [];
  const open = () => {
    const bus = createRabbitBus({
      url: vhost.url,
      confirmTimeoutMs: 5_000,
      reconnect: { initialDelayMs: 100, maxDelayMs: 400 },
    });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    vhost = await createTestVhost('gm_acks');
  });
  afterEach(async () => {
    await Promise.all(buses.map((b) => b.close()));
    buses = [];
  });
  afterAll(async () => {
    await vhost.drop();
  });

  it('never covers a delivery still in its handler with a later ack: it is retried as it says', async () => {
    const bus = open();
    const deliveries: string[] = [];
    let othersDone!: () => void;
    const othersAcked = new Promise<void>((r) => (othersDone = r));
    let acked = 0;
    await bus.subscribe({ name: 'acks-head', bindings: ['test.acks.head'], prefetch: 20 }, async (m) => {
      deliveries.push(m.id!);
      if (m.id === 'first' && m.deliveryCount === 0) {
        // Held until every later delivery was acked (and those acks had time to go out), then retried.
        await othersAcked;
        await new Promise((r) => setTimeout(r, 200));
        return 'retry' satisfies Disposition;
      }
      if (m.id !== 'first' && ++acked === 5) othersDone();
      return 'ack';
    });
    await bus.publish(event('first', 'test.acks.head'));
    await Promise.all([1, 2, 3, 4, 5].map((i) => bus.publish(event(`later-${i}`, 'test.acks.head'))));

    expect(
      await until(
        () => deliveries.filter((id) => id === 'first').length,
        (n) => n >= 2,
      ),
    ).toBe(2);
    await bus.close();
    expect(await vhost.queueDepth('acks-head')).toBe(0);
    expect(deliveries.filter((id) => id !== 'first').sort()).toEqual([
      'later-1',
      'later-2',
      'later-3',
      'later-4',
      'later-5',
    ]);
  });

  it('has acknowledged everything its handlers acked once the consumer is stopped', async () => {
    const bus = open();
    const n = 300;
    let handled = 0;
    const sub = await bus.subscribe(
      { name: 'acks-stop', bindings: ['test.acks.stop'], prefetch: 100 },
      async (m) => {
        // Out of order: some finish after later ones, so acks wait behind them.
        if (Number(m.id!.slice(1)) % 7 === 0) await new Promise((r) => setTimeout(r, 30));
        handled += 1;
        return 'ack';
      },
    );
    await Promise.all(Array.from({ length: n }, (_, i) => bus.publish(event(`m${i}`, 'test.acks.stop'))));
    await until(
      () => handled,
      (h) => h >= n,
    );
    await sub.cancel();
    // Nothing unacked was left on the closed channel to come back as ready.
    expect(await vhost.queueDepth('acks-stop')).toBe(0);
    expect(handled).toBe(n);
  });
  it('acknowledges what its handlers finish while it is being stopped', async () => {
    const bus = open();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let handled = 0;
    const sub = await bus.subscribe(
      { name: 'acks-stopping', bindings: ['test.acks.stopping'], prefetch: 50 },
      async (m) => {
        if (m.id === 'slow') await gate; // the oldest delivery: every later ack waits behind it
        handled += 1;
        return 'ack';
      },
    );
    await bus.publish(event('slow', 'test.acks.stopping'));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => bus.publish(event(`quick-${i}`, 'test.acks.stopping'))),
    );
    await until(
      () => handled,
      (h) => h >= 20,
    );
    const stopped = sub.cancel();
    // Released once the consumer is cancelled and only waits for its handlers in flight.
    setTimeout(release, 200);
    await stopped;
    expect(handled).toBe(21);
    expect(await vhost.queueDepth('acks-stopping')).toBe(0);
  });
});
