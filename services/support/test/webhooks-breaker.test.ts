import { createServer, type ServerResponse } from 'node:http';
import { newId } from '@geminis/service-kit';
import { startReceiver, type Receiver } from './support/receiver';
import { client, startSupport, type Client, type Harness } from './support/support';

/** A receiver that holds every request open until the test releases it (a hung endpoint). */
async function startHungReceiver() {
  const waiting: ServerResponse[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => waiting.push(res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    waiting,
    url: `http://127.0.0.1:${port}/hook`,
    release() {
      for (const res of waiting.splice(0)) res.end('ok');
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const until = async (what: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('not within the wait');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/** Each endpoint is served on its own: a hung or failing endpoint neither delays nor stops another. */
describe('webhook endpoints side by side', () => {
  let h: Harness;
  let api: Client;
  let healthy: Receiver;
  let failing: Receiver;
  let hung: Awaited<ReturnType<typeof startHungReceiver>>;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const later = (minutes: number) => (clock.now = new Date(clock.now.getTime() + minutes * 60_000));
  const drain = () => h.running.built.webhookDeliverer.drain(clock.now);
  const paid = () => ({
    invoiceId: newId(),
    number: 'INV-1',
    clientId: newId(),
    currency: 'EUR',
    total: 1000,
    paidAt: clock.now.toISOString(),
  });

  const register = async (tenant: string, url: string) => {
    const r = await api.post(
      '/v1/support/webhooks',
      { url, eventTypes: ['billing.invoice.paid.v1'] },
      h.issuer.tokenFor('reseller', tenant),
    );
    expect(r.status).toBe(201);
    return r.body.endpoint.id as string;
  };
  const deliveries = async (tenant: string, id: string) =>
    (await api.get(`/v1/support/webhooks/${id}/deliveries`, h.issuer.tokenFor('reseller', tenant))).body
      .items as Record<string, any>[];

  beforeAll(async () => {
    healthy = await startReceiver();
    failing = await startReceiver();
    failing.state.status = 500;
    hung = await startHungReceiver();
    h = await startSupport({
      now: () => clock.now,
      webhooks: {
        allowPrivate: true,
        failureLimit: 50,
        retryBaseMs: 60_000,
        // long enough that a delivery held behind the hung one could never arrive within the test's wait
        timeoutMs: 60_000,
        breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 },
      },
    });
    api = client(h.url);
  }, 60_000);
  afterAll(async () => {
    hung.release();
    await h.stop();
    await Promise.all([healthy.close(), failing.close(), hung.close()]);
  });

  it('delivers to a healthy endpoint while another endpoint hangs', async () => {
    const T = newId();
    // the hung endpoint is registered first, so its delivery is claimed first
    const slow = await register(T, hung.url);
    const fast = await register(T, healthy.url('/fast'));
    await h.deliver('billing.invoice.paid.v1', T, paid());
    const draining = drain();
    // the healthy endpoint answered while the hung one holds its request (which may reach it a moment later)
    await until(() => healthy.hits.length === 1 && hung.waiting.length === 1);
    expect(hung.waiting).toHaveLength(1);
    expect(healthy.hits).toHaveLength(1);
    hung.release();
    expect(await draining).toEqual({ delivered: 2, retry: 0, failed: 0 });
    expect((await deliveries(T, fast))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
    expect((await deliveries(T, slow))[0]).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('stops calling a failing endpoint once its own breaker opens, and keeps delivering to others', async () => {
    const T = newId();
    const bad = await register(T, failing.url('/bad'));
    const good = await register(T, healthy.url('/good'));
    const goodBefore = healthy.hits.length;
    for (let i = 0; i < 4; i += 1) await h.deliver('billing.invoice.paid.v1', T, paid());
    await drain();
    // two failed attempts open the bad endpoint's breaker: the other two deliveries wait, untried
    expect(failing.hits).toHaveLength(2);
    const waiting = await deliveries(T, bad);
    expect(waiting.map((d) => d.status)).toEqual(['pending', 'pending', 'pending', 'pending']);
    expect(waiting.map((d) => d.attempts).sort()).toEqual([0, 0, 1, 1]);
    expect(
      (await api.get(`/v1/support/webhooks/${bad}`, h.issuer.tokenFor('reseller', T))).body,
    ).toMatchObject({ status: 'active', consecutiveFailures: 2 });
    // the healthy endpoint of the same tenant got all four
    expect(healthy.hits.length - goodBefore).toBe(4);
    expect((await deliveries(T, good)).every((d) => d.status === 'delivered')).toBe(true);
    // a later round while the breaker is still open tries nothing either
    later(2);
    await drain();
    expect(failing.hits).toHaveLength(2);
  });
});
