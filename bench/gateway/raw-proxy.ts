/**
 * The least a node:http proxy does, for bench/gateway's proxy part: each request forwarded to the
 * upstream over a keep-alive agent, its answer streamed back — no checks, no headers of its own. Its CPU
 * per request is what the gateway's is compared with.
 *
 *   tsx bench/gateway/raw-proxy.ts <port> <upstream port>
 */
import { Agent, createServer, request } from 'node:http';

const port = Number(process.argv[2]);
const upstreamPort = Number(process.argv[3]);
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
process.on('SIGTERM', () => process.exit(0));
