import {
  cachedVerifier,
  createLogger,
  createTokenVerifier,
  listen,
  newId,
  type ListeningServer,
} from '@geminis/service-kit';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { createGatewayApp } from '../src/app';
import { createUpstream } from '../src/proxy';
import { createRateLimits } from '../src/rate-limit';
import { createRevocations } from '../src/revocations';
import { createTenantResolver } from '../src/tenant-resolver';
import { startEchoUpstream } from './support';

/**
 * The gateway as production wires it: verified tokens remembered (cachedVerifier), the revocation list
 * checked on every request, cached or not.
 */
describe('gateway with the verified-token cache', () => {
  const issuer = createTestIssuer('geminis-identity', 'geminis');
  const TENANT_A = newId();
  const TENANT_B = newId();
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let gateway: ListeningServer;
  let revocations: ReturnType<typeof createRevocations>;
  let resolver: ReturnType<typeof createTenantResolver>;
  let catalog: ReturnType<typeof createUpstream>;

  beforeAll(async () => {
    upstream = await startEchoUpstream();
    revocations = createRevocations({ windowMs: 15 * 60_000, skewSeconds: 0 });
    resolver = createTenantResolver({ identityUrl: 'http://127.0.0.1:1', platformHosts: [], ttlMs: 1000 });
    catalog = createUpstream({
      name: 'catalog',
      baseUrl: upstream.url,
      timeoutMs: 2_000,
      bodyLimitBytes: 1024,
    });
    const app = createGatewayApp({
      logger: createLogger({ service: 'gateway', level: 'silent' }),
      verifier: cachedVerifier(
        createTokenVerifier({
          issuer: issuer.issuer,
          audience: issuer.audience,
          keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
          clockToleranceSec: 0,
        }),
      ),
      upstreams: { catalog },
      resolver,
      limits: createRateLimits({ authPerMinute: 100, apiPerMinute: 1000 }),
      corsOrigins: [],
      revocations,
    });
    gateway = await listen(app, 0);
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
    revocations.close();
    resolver.close();
    catalog.close();
  });

  const get = (token: string) =>
    fetch(`${gateway.url}/v1/products`, { headers: { authorization: `Bearer ${token}` } });
  const codeOf = async (res: Response) => ((await res.json()) as { code?: string }).code;

  it('refuses a cached token once its user is revoked', async () => {
    const userId = newId();
    const token = issuer.tokenFor('reseller', TENANT_A, userId);
    expect((await get(token)).status).toBe(200); // verified, and now cached
    expect((await get(token)).status).toBe(200);
    revocations.revoke('user', userId, Date.now() + 1_000);
    const refused = await get(token);
    expect(refused.status).toBe(401);
    expect(await codeOf(refused)).toBe('auth.revoked');
  });

  it("answers each token as its own caller: tenant A's cached token never serves tenant B", async () => {
    const a = issuer.tokenFor('reseller', TENANT_A);
    const b = issuer.tokenFor('reseller', TENANT_B);
    for (let i = 0; i < 3; i++) expect((await get(a)).status).toBe(200);
    // B is counted on its own budget (a cache answering B with A's caller would count it on A's) …
    const first = await get(b);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-remaining')).toBe('999');
    // … and judged by its own tenant: suspending A refuses A's cached token, not B's.
    revocations.revoke('tenant', TENANT_A, Date.now() + 1_000);
    expect((await get(a)).status).toBe(401);
    expect((await get(b)).status).toBe(200);
  });

  it('refuses a cached token once it has expired', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.sign({ tid: TENANT_B, role: 'reseller', iat: now, exp: now + 1 });
    expect((await get(token)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 2_100));
    const refused = await get(token);
    expect(refused.status).toBe(401);
    expect(await codeOf(refused)).toBe('auth.invalid_token');
  });
});
