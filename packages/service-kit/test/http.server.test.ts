import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import { listen } from '../src/http/server';

const slowApp = () => {
  const app = express();
  app.get('/slow', (_req, res) => {
    setTimeout(() => res.send('done'), 150);
  });
  app.get('/fast', (_req, res) => {
    res.send('ok');
  });
  return app;
};

const get = (url: string, agent?: Agent) =>
  new Promise<{ status: number; body: string; connection: string | undefined }>((resolve, reject) => {
    request(url, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    })
      .on('error', reject)
      .end();
  });

describe('listen', () => {
  it('reports the actual port when asked for port 0', async () => {
    const s = await listen(slowApp(), 0);
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    await s.close();
  });

  it('lets an in-flight request finish on close, then stops accepting', async () => {
    const s = await listen(slowApp(), 0);
    const inFlight = get(`${s.url}/slow`);
    await new Promise((r) => setTimeout(r, 30));
    const closed = s.close(5_000);
    await expect(inFlight).resolves.toMatchObject({ status: 200, body: 'done', connection: 'close' });
    await closed;
    await expect(get(`${s.url}/fast`)).rejects.toThrow();
  });

  it('closes idle keep-alive connections instead of waiting for their timeout', async () => {
    const s = await listen(slowApp(), 0);
    const agent = new Agent({ keepAlive: true });
    await get(`${s.url}/fast`, agent);
    const started = Date.now();
    await s.close(10_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    agent.destroy();
  });

  it('closes a keep-alive connection once its in-flight answer is done, its head already sent', async () => {
    const app = express();
    app.get('/stream', (_req, res) => {
      res.write('part ');
      setTimeout(() => res.end('done'), 150);
    });
    const s = await listen(app, 0);
    const agent = new Agent({ keepAlive: true });
    const answer = get(`${s.url}/stream`, agent);
    await new Promise((r) => setTimeout(r, 50));
    // A grace far beyond the test's timeout: the close must not wait for it, nor for keep-alive's.
    const closed = s.close(60_000);
    await expect(answer).resolves.toMatchObject({ status: 200, body: 'part done' });
    await closed;
    agent.destroy();
  });

  it('cuts requests still running when the grace period ends', async () => {
    const app = express();
    app.get('/hang', () => undefined);
    const s = await listen(app, 0);
    const hanging = get(`${s.url}/hang`);
    await new Promise((r) => setTimeout(r, 30));
    await s.close(100);
    await expect(hanging).rejects.toThrow();
  });
});

describe('installSignalHandlers', () => {
  // One process (node with tsx as a loader), so the signals reach our handlers, not a wrapper's relay.
  const root = join(__dirname, '..', '..', '..');
  const run = (arg = '') =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const script = join(__dirname, 'fixtures', 'shutdown-on-signal.ts');
      const child = spawn(process.execPath, ['--import', 'tsx', script, arg], {
        cwd: root,
        env: { PATH: process.env.PATH },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out === 'ready\n') child.kill('SIGTERM');
        // A second signal once shutdown is under way must neither run the steps again nor kill the
        // process half-way through them.
        if (out === 'ready\nstop-http\n') child.kill('SIGTERM');
      });
      child.on('exit', (code) => resolve({ code, out }));
    });

  it('runs every shutdown step once, in order, on SIGTERM and exits 0', async () => {
    const { code, out } = await run();
    expect(out).toBe('ready\nstop-http\ndrain-consumer\nclose-db\n');
    expect(code).toBe(0);
  }, 20_000);

  it('keeps going after a failing step and exits 1', async () => {
    const { code, out } = await run('fail');
    expect(out).toBe('ready\nstop-http\ndrain-consumer\nclose-db\n');
    expect(code).toBe(1);
  }, 20_000);
});
