import amqp from 'amqplib';
import { createInMemoryBus, createRabbitBus, UNROUTED_QUEUE, type Bus, type Disposition } from '../src/bus';
import { createTestVhost, type TestVhost } from '../src/testing/rabbit';
import { waitFor } from './fixtures/events';

jest.setTimeout(60_000);

const msg = (id: string, routingKey = 'test.thing.happened.v1') => ({
  id,
  routingKey,
  body: Buffer.from(JSON.stringify({ id })),
  headers: { 'x-tenant-id': 't1' },
});

/** The same behaviours, checked on both adapters. */
function busContract(name: string, open: () => Promise<{ bus: Bus; vhost?: TestVhost }>) {
  describe(name, () => {
    let bus: Bus;
    let vhost: TestVhost | undefined;
    let seq = 0;
    const consumerName = () => `c${++seq}_${Date.now()}`;

    beforeAll(async () => {
      ({ bus, vhost } = await open());
    });
    afterAll(async () => {
      await bus.close();
      await vhost?.drop();
    });

    it('delivers body, headers and message id after the publish is confirmed', async () => {
      const got: { id?: string; body: string; tenant: unknown }[] = [];
      const sub = await bus.subscribe({ name: consumerName(), bindings: ['test.thing.*.v1'] }, async (m) => {
        got.push({ id: m.id, body: m.body.toString(), tenant: m.headers['x-tenant-id'] });
        return 'ack';
      });
      await bus.publish(msg('m-1'));
      await waitFor(
        async () => got.length,
        (n) => n >= 1,
      );
      expect(got).toEqual([{ id: 'm-1', body: JSON.stringify({ id: 'm-1' }), tenant: 't1' }]);
      await sub.cancel();
    });

    it('dead-letters a message that keeps failing after the delivery limit while good ones flow', async () => {
      const name = consumerName();
      const attempts = new Map<string, number>();
      const acked: string[] = [];
      const sub = await bus.subscribe(
        { name, bindings: ['test.poison.#'], deliveryLimit: 3, prefetch: 5 },
        async (m): Promise<Disposition> => {
          attempts.set(m.id!, (attempts.get(m.id!) ?? 0) + 1);
          if (m.id === 'poison') throw new Error('cannot handle');
          acked.push(m.id!);
          return 'ack';
        },
      );
      await bus.publish(msg('poison', 'test.poison.x'));
      for (let i = 0; i < 5; i++) await bus.publish(msg(`good-${i}`, 'test.poison.x'));
      await waitFor(
        async () => acked.length,
        (n) => n >= 5,
      );
      const deadCount = async () =>
        vhost
          ? vhost.queueDepth(`${name}.dlq`)
          : (bus as ReturnType<typeof createInMemoryBus>).deadLetters(name).length;
      expect(await waitFor(deadCount, (n) => n >= 1)).toBe(1);
      expect(attempts.get('poison')).toBeGreaterThanOrEqual(3);
      expect(attempts.get('poison')).toBeLessThanOrEqual(4);
      expect(acked.sort()).toEqual(['good-0', 'good-1', 'good-2', 'good-3', 'good-4']);
      await sub.cancel();
    });

    it("sends a 'dead-letter' disposition straight to the dead-letter queue", async () => {
      const name = consumerName();
      let calls = 0;
      const sub = await bus.subscribe({ name, bindings: ['test.invalid.#'] }, async () => {
        calls += 1;
        return 'dead-letter';
      });
      await bus.publish(msg('invalid', 'test.invalid.x'));
      const deadCount = async () =>
        vhost
          ? vhost.queueDepth(`${name}.dlq`)
          : (bus as ReturnType<typeof createInMemoryBus>).deadLetters(name).length;
      expect(await waitFor(deadCount, (n) => n >= 1)).toBe(1);
      expect(calls).toBe(1);
      await sub.cancel();
    });

    it('keeps an event no consumer is bound to instead of dropping it', async () => {
      await bus.publish(msg('nobody-listens', 'nobody.listens.here.v1'));
      if (vhost) {
        expect(
          await waitFor(
            () => vhost!.queueDepth(UNROUTED_QUEUE),
            (n) => n >= 1,
          ),
        ).toBe(1);
      } else {
        const unrouted = (bus as ReturnType<typeof createInMemoryBus>).unrouted();
        expect(unrouted.map((m) => m.id)).toContain('nobody-listens');
      }
    });

    it('never has more deliveries in flight than the prefetch', async () => {
      let inFlight = 0;
      let peak = 0;
      let done = 0;
      const sub = await bus.subscribe(
        { name: consumerName(), bindings: ['test.prefetch.#'], prefetch: 3 },
        async () => {
          inFlight += 1;
          peak = Math.max(peak, inFlight);
          await new Promise((r) => setTimeout(r, 20));
          inFlight -= 1;
          done += 1;
          return 'ack';
        },
      );
      await Promise.all(Array.from({ length: 12 }, (_, i) => bus.publish(msg(`p${i}`, 'test.prefetch.x'))));
      await waitFor(
        async () => done,
        (n) => n >= 12,
      );
      expect(done).toBe(12);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
      await sub.cancel();
    });
  });
}

busContract('in-memory bus', async () => ({ bus: createInMemoryBus() }));
busContract('RabbitMQ bus', async () => {
  const vhost = await createTestVhost();
  return {
    bus: createRabbitBus({ url: vhost.url, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } }),
    vhost,
  };
});

describe('RabbitMQ bus failures', () => {
  it('rejects a publish promptly when the broker cannot be reached', async () => {
    const bus = createRabbitBus({ url: 'amqp://guest:guest@127.0.0.1:1', confirmTimeoutMs: 500 });
    const started = Date.now();
    await expect(bus.publish(msg('x'))).rejects.toThrow(/not connected/);
    expect(Date.now() - started).toBeLessThan(5_000);
    await expect(bus.check()).rejects.toThrow();
    await bus.close();
  });

  it('survives its connections being killed and recovers publishing and consuming', async () => {
    const vhost = await createTestVhost();
    const bus = createRabbitBus({ url: vhost.url, reconnect: { initialDelayMs: 100, maxDelayMs: 500 } });
    try {
      const got = new Set<string>();
      await bus.subscribe({ name: 'survivor', bindings: ['test.#'] }, async (m) => {
        got.add(m.id!);
        return 'ack';
      });
      await bus.publish(msg('before'));
      await vhost.closeConnections();
      await waitFor(
        () =>
          bus.check().then(
            () => false,
            () => true,
          ),
        (down) => down,
        5_000,
      );
      await waitFor(
        () =>
          bus.check().then(
            () => true,
            () => false,
          ),
        (up) => up,
      );
      await bus.publish(msg('after'));
      await waitFor(
        async () => got.size,
        (n) => n >= 2,
      );
      expect([...got].sort()).toEqual(['after', 'before']);
      // The broker really has this queue as a quorum queue with a delivery limit.
      const conn = await amqp.connect(vhost.url);
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await expect(
        ch.assertQueue('survivor', { durable: true, arguments: { 'x-queue-type': 'classic' } }),
      ).rejects.toThrow(/inequivalent arg/);
      await conn.close().catch(() => undefined);
    } finally {
      await bus.close();
      await vhost.drop();
    }
  });
});
