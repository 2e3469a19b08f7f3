import { createServer, type ServerResponse } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { createPanelHttp } from '../src/modules/panel-http';
import { waitFor } from './support/jobs';

/** The per-server bound on calls in flight towards a panel. */
describe('panel HTTP', () => {
  const held: { path: string; res: ServerResponse }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const sockets = new Set<Socket>();
  // Calls to server "x" (paths /x…) in flight at the panel, and the most seen at once.
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/x')) inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    held.push({ path: req.url ?? '', res });
  }).on('connection', (s) => sockets.add(s));
  let base: string;

  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });

  const answerOne = (path?: string) => {
    const i = path ? held.findIndex((x) => x.path === path) : 0;
    const [{ res, path: answered }] = held.splice(i, 1) as [{ res: ServerResponse; path: string }];
    if (answered.startsWith('/x')) inFlight -= 1;
    res.end('ok');
  };

  it("never has more calls in flight to one server than its bound, and one server's queue never holds up another", async () => {
    const http = createPanelHttp({ perServerConcurrency: 2 });
    const call = (serverId: string, path: string) =>
      http.send(serverId, { method: 'GET', url: `${base}${path}`, headers: {}, timeoutMs: 10_000 });
    const calls = Array.from({ length: 6 }, (_, i) => call('x', `/x${i}`));
    await waitFor(async () => held.length === 2, 'two calls to x in flight');

    // x is at its bound; a call to y goes through at once.
    const y = call('y', '/y');
    await waitFor(async () => held.some((x) => x.path === '/y'), 'the call to y');
    answerOne('/y');
    expect((await y).text).toBe('ok');

    for (let answered = 0; answered < 6; answered++) {
      await waitFor(async () => held.length > 0, 'a held call');
      answerOne();
    }
    expect((await Promise.all(calls)).map((r) => r.text)).toEqual(Array(6).fill('ok'));
    expect(maxInFlight).toBe(2);
    http.shutdown();
  });
});
