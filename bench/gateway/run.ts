/**
 * bench/gateway: an authenticated GET through the gateway (token verification, route match, rate limit,
 * breaker, streaming proxy) against the same upstream called directly, in one run, with autocannon.
 * Prints requests/s and p50/p99 for both and the throughput ratio last. Goals: ≥ 0.6, ≤ 1 ms added at p50.
 */
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createLogger, createTokenVerifier, listen } from '@geminis/service-kit';
import { createTestIssuer } from '../../packages/service-kit/src/testing/tokens';
import { createGatewayApp } from '../../services/gateway/src/app';
import { createUpstream } from '../../services/gateway/src/proxy';
import { createRateLimits } from '../../services/gateway/src/rate-limit';
import { createTenantResolver } from '../../services/gateway/src/tenant-resolver';
import { cachedVerifier } from '../../services/gateway/src/token-cache';

const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 32;

async function run(url: string, token: string) {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: `Bearer ${token}` },
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

async function main() {
  const body = JSON.stringify({
    items: Array.from({ length: 20 }, (_, i) => ({ id: i, name: `product ${i}` })),
  });
  const upstream = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  const issuer = createTestIssuer('geminis-identity', 'geminis');
  const catalog = createUpstream({
    name: 'catalog',
    baseUrl: upstreamUrl,
    timeoutMs: 5000,
    bodyLimitBytes: 1 << 20,
  });
  const app = createGatewayApp({
    logger: createLogger({ service: 'gateway', level: 'silent' }),
    verifier: cachedVerifier(
      createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
    ),
    upstreams: { catalog },
    resolver: createTenantResolver({
      identityUrl: 'http://127.0.0.1:9',
      platformHosts: ['localhost'],
      ttlMs: 30_000,
    }),
    limits: createRateLimits({ authPerMinute: 30, apiPerMinute: 100_000_000 }),
    corsOrigins: [],
  });
  const gateway = await listen(app, 0);
  const token = issuer.tokenFor('client', PLATFORM_TENANT_ID);

  await run(`${upstreamUrl}/v1/products`, token); // warm-up, not reported
  const direct = await run(`${upstreamUrl}/v1/products`, token);
  const viaGateway = await run(`${gateway.url}/v1/products`, token);
  console.log(`connections: ${CONNECTIONS}, duration: ${DURATION}s each, same upstream`);
  console.log(`direct:  ${direct.rps.toFixed(0)} req/s, p50 ${direct.p50} ms, p99 ${direct.p99} ms`);
  console.log(
    `gateway: ${viaGateway.rps.toFixed(0)} req/s, p50 ${viaGateway.p50} ms, p99 ${viaGateway.p99} ms`,
  );
  console.log(`added latency at p50: ${(viaGateway.p50 - direct.p50).toFixed(2)} ms (goal ≤ 1 ms)`);
  console.log(
    `ratio (gateway / direct throughput): ${(viaGateway.rps / direct.rps).toFixed(2)} (goal ≥ 0.60)`,
  );
  await gateway.close();
  catalog.close();
  upstream.close();
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
