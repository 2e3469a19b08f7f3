/**
 * The trivial upstream of bench/gateway: a bare node:http server answering a fixed JSON list, in its own
 * process. It measures the proxy's floor (what the gateway costs when the service does no work at all).
 *
 *   tsx bench/gateway/upstream.ts <port>
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
const body = JSON.stringify({
  items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `product ${i}` })),
});
createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url === '/readyz' ? '{"status":"ready"}' : body);
}).listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
