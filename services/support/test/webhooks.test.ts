import { createHmac, timingSafeEqual } from 'node:crypto';
import { newId } from '@geminis/service-kit';
import { postSigned } from '../src/webhooks/deliverer';
import { isBlockedAddress } from '../src/webhooks/ssrf';
import { startReceiver, type Receiver } from './support/receiver';
import {
  client,
  countRows,
  dept,
  outboxEvents,
  startSupport,
  type Client,
  type Harness,
} from './support/support';

/** The documented verification: HMAC-SHA256(secret, `${t}.${raw body}`) against any v1, in constant time. */
function verifies(secret: string, header: string, raw: string): boolean {
  const parts = header.split(',').map((p) => p.split('=') as [string, string]);
  const t = parts.find(([k]) => k === 't')?.[1];
  const expected = createHmac('sha256', secret).update(`${t}.${raw}`).digest();
  return parts
    .filter(([k]) => k === 'v1')
    .some(([, v]) => {
      const given = Buffer.from(v, 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe('outbound webhooks', () => {
  let h: Harness;
  let api: Client;
  let receiver: Receiver;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const later = (minutes: number) => (clock.now = new Date(clock.now.getTime() + minutes * 60_000));
  const A = newId();
  const B = newId();
  const clientA = newId();
  let resellerA: string;
  let resellerB: string;
  let endpoint: string;
  let secret: string;

  const drain = () => h.running.built.webhookDeliverer.drain(clock.now);
  const paid = (clientId = clientA) => ({
    invoiceId: newId(),
    number: 'INV-1',
    clientId,
    currency: 'EUR',
    total: 1000,
    paidAt: clock.now.toISOString(),
  });
  const deliveries = async (id = endpoint, token = resellerA) =>
    (await api.get(`/v1/support/webhooks/${id}/deliveries`, token)).body.items as Record<string, any>[];

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await startSupport({
      now: () => clock.now,
      webhooks: { allowPrivate: true, failureLimit: 3, retryBaseMs: 60_000 },
    });
    api = client(h.url);
    resellerA = h.issuer.tokenFor('reseller', A);
    resellerB = h.issuer.tokenFor('reseller', B);
    const res = await api.post(
      '/v1/support/webhooks',
      { url: receiver.url('/a'), eventTypes: ['billing.invoice.paid.v1', 'support.ticket.opened.v1'] },
      resellerA,
    );
    expect(res.status).toBe(201);
    endpoint = res.body.endpoint.id;
    secret = res.body.secret;
  }, 60_000);
  afterAll(async () => {
    await h.stop();
    await receiver.close();
  });

  it('delivers a subscribed event signed so the documented scheme verifies it, once per event', async () => {
    expect(secret).toMatch(/^whsec_/);
    const eventId = newId();
    const data = paid();
    await h.deliver('billing.invoice.paid.v1', A, data, eventId);
    await h.deliver('billing.invoice.paid.v1', A, data, eventId);
    expect(await drain()).toEqual({ delivered: 1, retry: 0, failed: 0 });
    const hit = receiver.hits.at(-1)!;
    expect(JSON.parse(hit.raw)).toEqual({
      id: eventId,
      type: 'billing.invoice.paid.v1',
      createdAt: expect.any(String),
      tenantId: A,
      data,
    });
    expect(hit.headers['geminis-event-id']).toBe(eventId);
    const header = String(hit.headers['geminis-signature']);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(header.startsWith(`t=${Math.floor(clock.now.getTime() / 1000)},`)).toBe(true);
    expect(verifies(secret, header, hit.raw)).toBe(true);
    expect(verifies(secret, header, hit.raw.replace('INV-1', 'INV-2'))).toBe(false);
    expect(verifies('whsec_other', header, hit.raw)).toBe(false);
    expect(await deliveries()).toEqual([
      expect.objectContaining({ eventId, status: 'delivered', attempts: 1, lastStatusCode: 200 }),
    ]);
  });

  it('sends a tenant only its own events, and only the types it chose', async () => {
    const before = receiver.hits.length;
    await h.deliver('billing.invoice.paid.v1', B, paid(newId()));
    await h.deliver('billing.invoice.issued.v1', A, {
      invoiceId: newId(),
      number: 'INV-3',
      clientId: clientA,
      currency: 'EUR',
      subtotal: 1,
      tax: 0,
      total: 1,
      dueDate: '2026-12-01',
      reason: 'order',
    });
    await drain();
    expect(receiver.hits.length).toBe(before);
  });

  it('delivers support’s own ticket events (from the bus) to a subscribed endpoint', async () => {
    const d = await api.post('/v1/support/departments', dept('Desk'), resellerA);
    const t = await api.post(
      '/v1/support/tickets',
      { departmentId: d.body.id, subject: 'Down', message: 'help' },
      h.issuer.tokenFor('client', A, clientA),
    );
    for (let i = 0; i < 100; i += 1) {
      await drain();
      if (receiver.hits.some((x) => JSON.parse(x.raw).type === 'support.ticket.opened.v1')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const hit = receiver.hits.find((x) => JSON.parse(x.raw).type === 'support.ticket.opened.v1')!;
    expect(JSON.parse(hit.raw).data.ticketId).toBe(t.body.ticket.id);
  });

  it('retries a failed delivery with backoff and keeps the log', async () => {
    receiver.state.status = 500;
    await h.deliver('billing.invoice.paid.v1', A, paid());
    expect(await drain()).toEqual({ delivered: 0, retry: 1, failed: 0 });
    // not before its backoff
    expect(await drain()).toEqual({ delivered: 0, retry: 0, failed: 0 });
    receiver.state.status = 204;
    later(1);
    expect(await drain()).toEqual({ delivered: 1, retry: 0, failed: 0 });
    const [last] = await deliveries();
    expect(last).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 204, lastError: null });
    expect((await api.get(`/v1/support/webhooks/${endpoint}`, resellerA)).body.consecutiveFailures).toBe(0);
  });

  it('signs with both secrets for a day after a rotation', async () => {
    const rotated = await api.post(`/v1/support/webhooks/${endpoint}/rotate-secret`, {}, resellerA);
    expect(rotated.status).toBe(200);
    const fresh = rotated.body.secret as string;
    expect(fresh).not.toBe(secret);
    await h.deliver('billing.invoice.paid.v1', A, paid());
    await drain();
    const during = receiver.hits.at(-1)!;
    const header = String(during.headers['geminis-signature']);
    expect(header.match(/v1=/g)).toHaveLength(2);
    expect(verifies(secret, header, during.raw) && verifies(fresh, header, during.raw)).toBe(true);
    later(24 * 60 + 1);
    await h.deliver('billing.invoice.paid.v1', A, paid());
    await drain();
    const after = receiver.hits.at(-1)!;
    const header2 = String(after.headers['geminis-signature']);
    expect(verifies(fresh, header2, after.raw)).toBe(true);
    expect(verifies(secret, header2, after.raw)).toBe(false);
    secret = fresh;
  });

  it('disables an endpoint after repeated failures, and resumes its deliveries when re-enabled', async () => {
    receiver.state.status = 503;
    await h.deliver('billing.invoice.paid.v1', A, paid());
    for (let i = 0; i < 5; i += 1) {
      await drain();
      later(240);
    }
    const ep = (await api.get(`/v1/support/webhooks/${endpoint}`, resellerA)).body;
    expect(ep).toMatchObject({ status: 'disabled', consecutiveFailures: 3, disabledAt: expect.any(String) });
    expect(ep.disabledReason).toMatch(/3 failed deliveries/);
    // announced once, in the tenant's name, without the URL or a secret
    const notices = await outboxEvents(h, A, 'support.webhook_endpoint.disabled.v1');
    expect(notices.map((e) => e.data)).toEqual([
      {
        endpointId: endpoint,
        consecutiveFailures: 3,
        lastStatusCode: 503,
        reason: ep.disabledReason,
        disabledAt: ep.disabledAt,
      },
    ]);
    expect(JSON.stringify(notices)).not.toContain(receiver.url(''));
    const attempts = (await deliveries())[0]!.attempts;
    expect(attempts).toBe(3);
    // nothing is tried while disabled
    later(240);
    await drain();
    expect((await deliveries())[0]!.attempts).toBe(3);
    receiver.state.status = 200;
    const enabled = await api.patch(`/v1/support/webhooks/${endpoint}`, { enabled: true }, resellerA);
    expect(enabled.body).toMatchObject({
      status: 'active',
      consecutiveFailures: 0,
      disabledReason: null,
      disabledAt: null,
    });
    await drain();
    expect((await deliveries())[0]).toMatchObject({ status: 'delivered', attempts: 4 });
  });

  it('gives a delivery up after a day of failures', async () => {
    receiver.state.status = 500;
    await h.deliver('billing.invoice.paid.v1', A, paid());
    await drain(); // attempt 1
    later(25 * 60);
    await api.patch(`/v1/support/webhooks/${endpoint}`, { enabled: true }, resellerA);
    await drain(); // past its day: failed for good
    expect((await deliveries())[0]).toMatchObject({ status: 'failed', attempts: 2, nextAttemptAt: null });
    receiver.state.status = 200;
  });

  describe('isolation and bad input', () => {
    it('answers another tenant exactly like a missing endpoint', async () => {
      const missing = newId();
      for (const id of [endpoint, missing]) {
        expect((await api.get(`/v1/support/webhooks/${id}`, resellerB)).status).toBe(404);
        expect((await api.patch(`/v1/support/webhooks/${id}`, { enabled: false }, resellerB)).status).toBe(
          404,
        );
        expect((await api.post(`/v1/support/webhooks/${id}/rotate-secret`, {}, resellerB)).status).toBe(404);
        expect((await api.get(`/v1/support/webhooks/${id}/deliveries`, resellerB)).status).toBe(404);
        expect((await api.del(`/v1/support/webhooks/${id}`, resellerB)).status).toBe(404);
      }
      expect((await api.get('/v1/support/webhooks', resellerB)).body.items).toEqual([]);
      expect((await api.get(`/v1/support/webhooks/${endpoint}`, resellerA)).status).toBe(200);
      expect((await api.get('/v1/support/webhooks', h.issuer.tokenFor('client', A, clientA))).status).toBe(
        403,
      );
    });

    it.each([
      [
        'an event type nobody may subscribe to',
        { url: 'https://x.example/h', eventTypes: ['billing.service.suspend_requested.v1'] },
        'eventTypes',
      ],
      ['no event types', { url: 'https://x.example/h', eventTypes: [] }, 'eventTypes'],
      ['no URL', { eventTypes: ['billing.invoice.paid.v1'] }, 'url'],
      [
        'a URL with credentials',
        { url: 'https://u:p@x.example/h', eventTypes: ['billing.invoice.paid.v1'] },
        'url',
      ],
      ['not a URL', { url: 'hooks here', eventTypes: ['billing.invoice.paid.v1'] }, 'url'],
    ])('refuses %s with a 400 naming the field, writing nothing', async (_what, body, field) => {
      const before = await countRows(h, 'webhook_endpoints');
      const res = await api.post('/v1/support/webhooks', body, resellerA);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(await countRows(h, 'webhook_endpoints')).toBe(before);
    });

    it('refuses a second endpoint with the same URL (409)', async () => {
      const res = await api.post(
        '/v1/support/webhooks',
        { url: receiver.url('/a'), eventTypes: ['billing.invoice.paid.v1'] },
        resellerA,
      );
      expect(res.status).toBe(409);
    });

    it('deletes an endpoint with its delivery log', async () => {
      const res = await api.post(
        '/v1/support/webhooks',
        { url: receiver.url('/gone'), eventTypes: ['billing.invoice.paid.v1'] },
        resellerA,
      );
      await h.deliver('billing.invoice.paid.v1', A, paid());
      await drain();
      const before = await countRows(h, 'webhook_deliveries');
      expect((await api.del(`/v1/support/webhooks/${res.body.endpoint.id}`, resellerA)).status).toBe(204);
      expect(await countRows(h, 'webhook_deliveries')).toBe(before - 1);
    });
  });
});

describe('webhook SSRF guard (private targets not allowed)', () => {
  let h: Harness;
  let api: Client;
  let receiver: Receiver;
  const A = newId();

  beforeAll(async () => {
    receiver = await startReceiver();
    h = await startSupport({ webhooks: { allowPrivate: false } });
    api = client(h.url);
  }, 60_000);
  afterAll(async () => {
    await h.stop();
    await receiver.close();
  });

  it.each([
    'http://127.0.0.1:8080/x',
    'https://127.0.0.1/hook',
    'https://localhost/hook',
    'https://169.254.169.254/latest/meta-data',
    'https://10.1.2.3/hook',
    'https://192.168.1.10/hook',
    'https://172.16.0.1/hook',
    'https://[::1]/hook',
    'https://[fd00::1]/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://100.64.0.1/hook',
  ])('refuses %s with a 400 naming url, writing nothing', async (url) => {
    const res = await api.post(
      '/v1/support/webhooks',
      { url, eventTypes: ['billing.invoice.paid.v1'] },
      h.issuer.tokenFor('reseller', A),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['url']);
    expect(await countRows(h, 'webhook_endpoints')).toBe(0);
  });

  it('refuses at delivery time a name that resolves to a private address (nothing reaches it)', async () => {
    const port = new URL(receiver.url('/')).port;
    await expect(
      postSigned(
        `http://localhost:${port}/x`,
        '{}',
        {},
        { policy: { allowPrivate: false }, timeoutMs: 2_000 },
      ),
    ).rejects.toThrow(/private address/);
    await expect(
      postSigned(
        `http://127.0.0.1:${port}/x`,
        '{}',
        {},
        { policy: { allowPrivate: false }, timeoutMs: 2_000 },
      ),
    ).rejects.toThrow(/private address/);
    expect(receiver.hits).toHaveLength(0);
  });

  it('classifies addresses', () => {
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '169.254.169.254',
      '::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
    ])
      expect([a, isBlockedAddress(a)]).toEqual([a, true]);
    for (const a of ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946', '8.8.8.8'])
      expect([a, isBlockedAddress(a)]).toEqual([a, false]);
  });
});
