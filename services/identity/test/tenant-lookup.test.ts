import { request } from 'node:http';
import { allTenants, rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { seedIdentityDemo, type IdentityDemo } from '../src/service';
import { client, startIdentity, type Client, type Harness } from './support/identity';

/**
 * Public requests name their storefront (slug or host) on every call, and the lookup is kept briefly:
 * what a sign-in must not get from that cache is a reseller's status, and what changes through this
 * replica is seen at once.
 */
/** fetch() does not let a caller set Host; node:http does (a storefront's custom domain). */
function loginAtHost(url: string, host: string, body: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      `${url}/v1/auth/login`,
      {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

describe('storefront lookups', () => {
  let h: Harness;
  let api: Client;
  let demo: IdentityDemo;
  let admin: string;

  beforeAll(async () => {
    // A long cache, so the test shows what does not depend on it expiring.
    h = await startIdentity({ tenantLookupCacheMs: 60_000 });
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
    admin = (await api.login(demo.admin.email, demo.admin.password)).accessToken;
  }, 60_000);
  afterAll(() => h.stop());

  const signIn = () =>
    api.post('/v1/auth/login', {
      email: demo.resellerClient.email,
      password: demo.resellerClient.password,
      tenantSlug: 'acme',
    });

  it('refuses the users of a reseller suspended elsewhere at once, though its slug was looked up before', async () => {
    expect((await signIn()).status).toBe(200); // the slug is now cached as an active storefront
    // Suspended by another replica: this one's cache is not told.
    const setStatus = (status: string) =>
      h.db.withTenant(allTenants, (tx) =>
        rows(
          tx,
          sql`update resellers set status = ${status} where id = ${demo.reseller.tenantId} returning id`,
        ),
      );
    await setStatus('suspended');
    try {
      const refused = await signIn();
      expect([refused.status, refused.body.code]).toEqual([403, 'identity.tenant_suspended']);
    } finally {
      await setStatus('active');
    }
    expect((await signIn()).status).toBe(200);
  });

  it('serves a custom domain added through this replica at once', async () => {
    const host = 'shop.acme-new.example';
    const credentials = { email: demo.resellerClient.email, password: demo.resellerClient.password };
    const before = await loginAtHost(h.url, host, credentials);
    expect(before.status).toBe(401); // the platform's storefront: no such client there (and now cached)
    const added = await api.patch(
      `/v1/resellers/${demo.reseller.tenantId}`,
      { customDomains: ['acme.localhost', host] },
      admin,
    );
    expect(added.status).toBe(200);
    const after = await loginAtHost(h.url, host, credentials);
    expect([after.status, after.body.user?.tenantId]).toEqual([200, demo.reseller.tenantId]);
  });
});
