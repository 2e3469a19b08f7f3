/**
 * The least a proxy does, for bench/gateway's proxy part: each request forwarded to the upstream over
 * keep-alive connections, its answer streamed back — no checks, no headers of its own. Two clients for
 * the upstream hop, the bench measures both and takes the better as the baseline: node:http's (an Agent)
 * and undici's (a Pool, its lowest-level dispatch API — the client the gateway uses; the same undici).
 *
 *   tsx bench/gateway/raw-proxy.ts <port> <upstream port> <node|undici>
 */
import { Agent, createServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
// The gateway's undici (its types too: the repository's root resolves an older one for another package).
import type * as Undici from '../../services/gateway/node_modules/undici';

const port = Number(process.argv[2]);
const upstreamPort = Number(process.argv[3]);
const client = process.argv[4] ?? 'node';

if (client === 'undici') {
  // The gateway's own undici (the bench's root may resolve another version).
  const { Pool } = createRequire(join(__dirname, '../../services/gateway/package.json'))(
    'undici',
  ) as typeof Undici;
  const pool = new Pool(`http://127.0.0.1:${upstreamPort}`, { connections: 256 });
  const refused = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect']); // by undici
  createServer((req, res) => {
    const headers: Record<string, string | string[]> = {};
    for (const name in req.headers) {
      const value = req.headers[name];
      if (value !== undefined && !refused.has(name)) headers[name] = value;
    }
    const hasBody =
      req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    pool.dispatch(
      { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: hasBody ? req : null },
      {
        onRequestStart() {},
        onResponseStart(_controller, status, headers) {
          res.writeHead(status, headers as Record<string, string | string[]>);
        },
        onResponseData(_controller, chunk) {
          res.write(chunk);
        },
        onResponseEnd() {
          res.end();
        },
        onResponseError() {
          res.destroy();
        },
      },
    );
  }).listen(port, '127.0.0.1');
} else {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  createServer((req, res) => {
    const upstream = request({
      agent,
      host: '127.0.0.1',
      port: upstreamPort,
      method: req.method,
      path: req.url,
      headers: req.headers,
    });
    upstream.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }).listen(port, '127.0.0.1');
}
process.on('SIGTERM', () => process.exit(0));
