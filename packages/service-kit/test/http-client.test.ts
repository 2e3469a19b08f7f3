import nock from 'nock';
import { type AppError } from '../src/errors';
import { createHttpClient } from '../src/http-client/client';

const BASE = 'https://registrar.example.test';

describe('resilient http client', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  const client = (resetTimeoutMs = 60_000) =>
    createHttpClient({
      name: 'registrar',
      baseUrl: BASE,
      timeoutMs: 500,
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs },
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });
  const statusOf = (p: Promise<unknown>) =>
    p.then(
      () => 0,
      (e: unknown) => (e as AppError).status,
    );

  it('returns parsed JSON', async () => {
    nock(BASE).get('/v1/domains/example.com').reply(200, { available: false });
    const c = client();
    await expect(c.request({ method: 'GET', path: '/v1/domains/example.com' })).resolves.toMatchObject({
      status: 200,
      body: { available: false },
    });
    c.shutdown();
  });

  it('does not open the breaker on 4xx answers', async () => {
    nock(BASE).get('/v1/missing').times(10).reply(404, { error: 'not found' });
    const c = client();
    for (let i = 0; i < 10; i++)
      expect(await statusOf(c.request({ method: 'GET', path: '/v1/missing' }))).toBe(404);
    expect(c.breaker.opened).toBe(false);
    c.shutdown();
  });

  it('opens after the volume threshold of failures and then fails fast without calling out', async () => {
    const failing = nock(BASE).get('/v1/flaky').times(12).reply(502, 'bad gateway');
    const c = client();
    for (let i = 0; i < 4 && !c.breaker.opened; i++)
      await statusOf(c.request({ method: 'GET', path: '/v1/flaky' }));
    expect(c.breaker.opened).toBe(true);
    const pendingBefore = failing.pendingMocks().length;
    const err = await c.request({ method: 'GET', path: '/v1/flaky' }).catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ status: 503, code: 'upstream.unavailable' });
    expect((err as AppError).retryAfterSeconds).toBe(60);
    expect(failing.pendingMocks().length).toBe(pendingBefore);
    c.shutdown();
  });

  it('closes again after a successful half-open probe', async () => {
    nock(BASE).get('/v1/recovering').times(12).reply(503);
    const c = client(100);
    for (let i = 0; i < 4 && !c.breaker.opened; i++)
      await statusOf(c.request({ method: 'GET', path: '/v1/recovering' }));
    expect(c.breaker.opened).toBe(true);
    nock.cleanAll();
    nock(BASE).get('/v1/recovering').reply(200, { ok: true });
    await new Promise((r) => setTimeout(r, 150));
    await expect(c.request({ method: 'GET', path: '/v1/recovering' })).resolves.toMatchObject({
      status: 200,
    });
    expect(c.breaker.closed).toBe(true);
    c.shutdown();
  });

  it('retries an idempotent call and succeeds', async () => {
    nock(BASE).get('/v1/once-flaky').reply(500).get('/v1/once-flaky').reply(200, { ok: true });
    const c = client();
    await expect(c.request({ method: 'GET', path: '/v1/once-flaky' })).resolves.toMatchObject({
      status: 200,
    });
    c.shutdown();
  });

  it('does not retry a POST without an idempotency key', async () => {
    const scope = nock(BASE).post('/v1/orders').reply(500).post('/v1/orders').reply(201, { id: 'x' });
    const c = client();
    expect(await statusOf(c.request({ method: 'POST', path: '/v1/orders', body: { a: 1 } }))).toBe(502);
    expect(scope.pendingMocks()).toHaveLength(1);
    c.shutdown();
  });

  it('retries a POST that carries an idempotency key, sending the key', async () => {
    nock(BASE)
      .post('/v1/orders')
      .matchHeader('idempotency-key', 'order-1')
      .reply(500)
      .post('/v1/orders')
      .matchHeader('idempotency-key', 'order-1')
      .reply(201, { id: 'x' });
    const c = client();
    await expect(
      c.request({ method: 'POST', path: '/v1/orders', body: { a: 1 }, idempotencyKey: 'order-1' }),
    ).resolves.toMatchObject({ status: 201 });
    c.shutdown();
  });
});
