import { allTenants, listen, newId, rows, SERVICE_KEY_HEADER, tenantScope } from '@geminis/service-kit';
import express from 'express';
import { sql } from 'drizzle-orm';
import { seedCatalogDemo, type CatalogDemo } from '../src/service';
import { IDENTITY_SERVICE_KEY, startIdentity, type IdentityHarness } from './support/identity';
import { client, resellerProfile, startCatalog, type Client, type Harness } from './support/catalog';

/**
 * A quote naming a client catalog never heard of (created before catalog kept clients, or whose
 * identity.client.created.v1 was dead-lettered): catalog asks identity once whose client it is, and
 * remembers a client of the quoting tenant; another tenant's client is refused exactly like an id nobody
 * has; when identity cannot answer, the quote is briefly unavailable (503 + Retry-After).
 */
describe('quotes: clients catalog learns from identity', () => {
  let identity: IdentityHarness;
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  const A = newId();
  const B = newId();

  /** A client written straight into identity's table: no identity.client.created.v1 ever leaves. */
  const clientInIdentity = async (tenantId: string) => {
    const id = newId();
    await identity.db.withTenant(tenantScope(tenantId), (tx) =>
      rows(
        tx,
        sql`insert into users (id, tenant_id, role, email, name, password_hash)
            values (${id}, ${tenantId}, 'client', ${`c-${id.slice(-8)}@example.com`}, 'Old client', 'x')
            returning id`,
      ),
    );
    return id;
  };
  const knownToCatalog = async (clientId: string) => {
    const r = await h.db.withTenant(allTenants, (tx) =>
      rows<{ tenant_id: string }>(tx, sql`select tenant_id from clients where client_id = ${clientId}`),
    );
    return r.map((x) => x.tenant_id);
  };
  const cart = (clientId: string) => ({
    currency: 'EUR',
    items: [{ productId: demo.reseller.custom, cycle: 'monthly' }],
    clientId,
  });
  const internal = (body: unknown, token: string) =>
    api.call('POST', '/internal/v1/quotes', {
      body,
      token,
      headers: { [SERVICE_KEY_HEADER]: h.serviceKey },
    });
  /** A problem answer without its per-request parts. */
  const answer = (res: { status: number; body: any }) => {
    const { requestId: _r, ...rest } = res.body;
    return { status: res.status, ...rest };
  };

  beforeAll(async () => {
    identity = await startIdentity();
    h = await startCatalog({
      internalRoutes: true,
      identity: { url: identity.url, serviceKey: IDENTITY_SERVICE_KEY },
    });
    api = client(h.url);
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    expect(await h.deliver('identity.reseller.created.v1', B, resellerProfile(B, true))).toBe('ack');
    demo = await seedCatalogDemo(h.db, { resellerTenantId: A });
  }, 60_000);
  afterAll(async () => {
    await h.stop();
    await identity.stop();
  });

  it('quotes for a client of the tenant that only identity knows, and remembers it', async () => {
    const old = await clientInIdentity(A);
    expect(await knownToCatalog(old)).toEqual([]);
    const token = h.issuer.tokenFor('reseller', A);
    const res = await internal(cart(old), token);
    expect(res.status).toBe(200);
    expect(res.body.snapshot).toMatchObject({ tenantId: A, clientId: old });
    expect(await knownToCatalog(old)).toEqual([A]);
    // Remembered: the public quote for it no longer needs identity.
    const pub = await api.post('/v1/quotes', cart(old), token);
    expect(pub.status).toBe(200);
  });

  it('refuses another tenant’s client exactly as an id nobody has, and remembers nothing', async () => {
    const ofB = await clientInIdentity(B);
    const token = h.issuer.tokenFor('reseller', A);
    const other = await internal(cart(ofB), token);
    const nobody = await internal(cart(newId()), token);
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('catalog.client_unknown');
    expect(other.body.errors).toEqual([expect.objectContaining({ field: 'clientId' })]);
    expect(answer(other)).toEqual(answer(nobody));
    const pub = await api.post('/v1/quotes', cart(ofB), token);
    expect(answer(pub)).toEqual(answer(await api.post('/v1/quotes', cart(newId()), token)));
    expect(await knownToCatalog(ofB)).toEqual([]);
    // B's own staff naming it: catalog learns it as B's (and only B's).
    const forB = await api.post('/v1/quotes', cart(ofB), h.issuer.tokenFor('reseller', B));
    expect(forB.body.code).not.toBe('catalog.client_unknown');
    expect(await knownToCatalog(ofB)).toEqual([B]);
  });
});

describe('quotes: a client catalog never heard of while identity is down', () => {
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  const A = newId();

  beforeAll(async () => {
    // An address where identity is not listening any more.
    const gone = await listen(express(), 0);
    await gone.close();
    h = await startCatalog({
      internalRoutes: true,
      identity: { url: gone.url, serviceKey: IDENTITY_SERVICE_KEY, timeoutMs: 1_000 },
    });
    api = client(h.url);
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    demo = await seedCatalogDemo(h.db, { resellerTenantId: A });
  }, 60_000);
  afterAll(() => h.stop());

  it('answers 503 problem+json with Retry-After (not 422, not 500), and remembers nothing', async () => {
    const clientId = newId();
    const res = await api.post(
      '/v1/quotes',
      { currency: 'EUR', items: [{ productId: demo.reseller.custom, cycle: 'monthly' }], clientId },
      h.issuer.tokenFor('reseller', A),
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.body.code).toBe('catalog.identity_unavailable');
    const [r] = await h.db.withTenant(allTenants, (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from clients`),
    );
    expect(r!.n).toBe(0);
  });
});
