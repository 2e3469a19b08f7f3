import { createLogger, listen, type ListeningServer } from '@geminis/service-kit';
import { createGatewayApp } from '../src/app';

describe('gateway', () => {
  let gateway: ListeningServer;
  let upstream: ListeningServer;
  let upstreamReady = true;

  beforeAll(async () => {
    const express = (await import('express')).default;
    const up = express();
    up.get('/readyz', (_req, res) => {
      res.status(upstreamReady ? 200 : 503).end();
    });
    upstream = await listen(up, 0);
    gateway = await listen(
      createGatewayApp({
        logger: createLogger({ service: 'gateway', level: 'silent' }),
        upstreams: { identity: upstream.url },
      }),
      0,
    );
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${gateway.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', service: 'gateway' });
  });

  it('is ready only while its upstreams are', async () => {
    expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
    upstreamReady = false;
    const res = await fetch(`${gateway.url}/readyz`);
    upstreamReady = true;
    expect(res.status).toBe(503);
  });
});
