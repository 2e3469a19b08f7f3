import { context, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import nock from 'nock';
import { type AppError } from '../src/errors';
import { createHttpClient } from '../src/http-client/client';
import { withExtractedContext } from '../src/telemetry/context';

const BASE = 'https://registrar.example.test';

describe('createHttpClient', () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  // Undo nock entirely: its patch of fetch outlives this file in the jest worker, and a later file's own
  // nock would sit behind it (unmatched → HTTP 501 in that file).
  afterAll(() => {
    nock.enableNetConnect();
    nock.restore();
  });

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

  it('does not open the breaker on 4xx answers, and does not retry them', async () => {
    let sent = 0;
    nock(BASE)
      .get('/v1/missing')
      .times(30)
      .reply(() => {
        sent += 1;
        return [404, { error: 'not found' }];
      });
    const c = client();
    for (let i = 0; i < 10; i++)
      expect(await statusOf(c.request({ method: 'GET', path: '/v1/missing' }))).toBe(404);
    expect(c.breaker.opened).toBe(false);
    expect(sent).toBe(10); // no retries
    c.shutdown();
  });

  it('gives a 4xx answer to the caller with its status and parsed body', async () => {
    nock(BASE).get('/v1/conflict').reply(409, { error: 'taken' });
    const c = client();
    const err = await c.request({ method: 'GET', path: '/v1/conflict' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 409, response: { status: 409, body: { error: 'taken' } } });
    c.shutdown();
  });

  /** A real local upstream answering with `status` and counting what reaches it: the breaker tests count
   * calls exactly, so they do not depend on nock's patch of the global fetch (which other files in the
   * same jest worker also patch and restore). */
  async function localUpstream(status: () => number) {
    nock.enableNetConnect('127.0.0.1');
    let hits = 0;
    const server = createServer((_req, res) => {
      hits += 1;
      res.writeHead(status(), { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return {
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      hits: () => hits,
      async close() {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
        nock.disableNetConnect();
      },
    };
  }
  const localClient = (baseUrl: string, resetTimeoutMs = 60_000) =>
    createHttpClient({
      name: 'registrar',
      baseUrl,
      timeoutMs: 5_000,
      breaker: { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs },
      retry: { retries: 2, baseDelayMs: 1, maxDelayMs: 5 },
    });

  it('opens after the volume threshold of failures and then fails fast without calling out', async () => {
    const upstream = await localUpstream(() => 502);
    const c = localClient(upstream.baseUrl);
    try {
      // 1st request: 3 calls (1 + 2 retries), all failing; 2nd: the 4th call reaches the volume threshold.
      expect(await statusOf(c.request({ method: 'GET', path: '/v1/flaky' }))).toBe(502);
      expect(c.breaker.opened).toBe(false);
      await statusOf(c.request({ method: 'GET', path: '/v1/flaky' }));
      expect(c.breaker.opened).toBe(true);
      expect(upstream.hits()).toBe(4);
      const err = await c.request({ method: 'GET', path: '/v1/flaky' }).catch((e: unknown) => e as AppError);
      expect(err).toMatchObject({ status: 503, code: 'upstream.unavailable' });
      expect((err as AppError).retryAfterSeconds).toBe(60);
      expect(upstream.hits()).toBe(4); // failed fast: nothing went out
    } finally {
      c.shutdown();
      await upstream.close();
    }
  });

  it('closes again after a successful half-open probe', async () => {
    let answer = 503;
    const upstream = await localUpstream(() => answer);
    const c = localClient(upstream.baseUrl, 100);
    try {
      for (let i = 0; i < 4 && !c.breaker.opened; i++)
        await statusOf(c.request({ method: 'GET', path: '/v1/recovering' }));
      expect(c.breaker.opened).toBe(true);
      answer = 200;
      await new Promise((r) => setTimeout(r, 150));
      await expect(c.request({ method: 'GET', path: '/v1/recovering' })).resolves.toMatchObject({
        status: 200,
      });
      expect(c.breaker.closed).toBe(true);
    } finally {
      c.shutdown();
      await upstream.close();
    }
  });

  it('answers 502 after the retries of an idempotent call are used up', async () => {
    let sent = 0;
    nock(BASE)
      .get('/v1/down')
      .times(10)
      .reply(() => {
        sent += 1;
        return [500, 'broken'];
      });
    const c = client();
    const err = await c.request({ method: 'GET', path: '/v1/down' }).catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ status: 502, code: 'upstream.failed' });
    expect(sent).toBe(3); // 1 call + 2 retries
    c.shutdown();
  });

  it('answers 503 with the upstream’s Retry-After when the upstream says it is unavailable', async () => {
    let sent = 0;
    nock(BASE)
      .post('/v1/orders')
      .times(3)
      .reply(() => {
        sent += 1;
        return [503, { code: 'catalog.identity_unavailable' }, { 'retry-after': '7' }];
      });
    const c = client();
    const err = await c
      .request({ method: 'POST', path: '/v1/orders', body: {} })
      .catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ status: 503, code: 'upstream.unavailable', retryAfterSeconds: 7 });
    expect(sent).toBe(1); // a POST without a key is not retried
    c.shutdown();
  });

  it('does not retry a GET marked as not idempotent', async () => {
    let sent = 0;
    nock(BASE)
      .get('/v1/side-effect')
      .times(3)
      .reply(() => {
        sent += 1;
        return [500, ''];
      });
    const c = client();
    expect(await statusOf(c.request({ method: 'GET', path: '/v1/side-effect', idempotent: false }))).toBe(
      502,
    );
    expect(sent).toBe(1);
    c.shutdown();
  });

  it('answers 502 for a network error', async () => {
    nock(BASE).get('/v1/reset').times(3).replyWithError('socket hang up');
    const c = client();
    const err = await c.request({ method: 'GET', path: '/v1/reset' }).catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ status: 502, code: 'upstream.failed' });
    c.shutdown();
  });

  it('stops retrying once the breaker has opened', async () => {
    let sent = 0;
    nock(BASE)
      .put('/v1/thing')
      .times(10)
      .reply(() => {
        sent += 1;
        return [500, ''];
      });
    const c = createHttpClient({
      name: 'registrar',
      baseUrl: BASE,
      breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 },
      retry: { retries: 5, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await statusOf(c.request({ method: 'PUT', path: '/v1/thing', body: {} }));
    expect(c.breaker.opened).toBe(true);
    expect(sent).toBe(2); // the volume threshold, not 1 + 5 retries
    c.shutdown();
  });

  it('times out a slow answer and counts it as a failure', async () => {
    // A real server that never answers (nock's delay does not interact well with fetch aborts).
    nock.enableNetConnect('127.0.0.1');
    const server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const c = createHttpClient({
      name: 'slow',
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      timeoutMs: 100,
    });
    try {
      const started = Date.now();
      const err = await c.request({ method: 'POST', path: '/v1/slow', body: {} }).catch((e: unknown) => e);
      expect(err).toMatchObject({ status: 502, code: 'upstream.failed' });
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(c.breaker.stats.failures).toBe(1);
    } finally {
      c.shutdown();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      nock.disableNetConnect();
    }
  });

  it('sends the trace context it runs in', async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const scope = nock(BASE)
      .get('/v1/traced')
      .matchHeader('traceparent', /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/)
      .reply(200, {});
    const c = client();
    try {
      await withExtractedContext({ traceparent }, () => c.request({ method: 'GET', path: '/v1/traced' }));
      expect(scope.isDone()).toBe(true);
    } finally {
      c.shutdown();
      context.disable();
      propagation.disable();
    }
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
