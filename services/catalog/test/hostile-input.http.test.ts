import { MAX_AMOUNT } from '@geminis/contracts';
import { newId } from '@geminis/service-kit';
import { seedCatalogDemo, type CatalogDemo } from '../src/service';
import { client, PLATFORM_TENANT_ID, startCatalog, type Client, type Harness } from './support/catalog';

/**
 * Input that used to answer 500 or be kept silently: each is a 4xx problem+json naming the field, and
 * nothing is written.
 */
describe('catalog refuses hostile input', () => {
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  let admin: string;
  let groupId: string;

  beforeAll(async () => {
    h = await startCatalog();
    api = client(h.url);
    demo = await seedCatalogDemo(h.db, { resellerTenantId: newId() });
    admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    const groups = await api.get('/v1/product-groups', admin);
    groupId = groups.body.items[0].id;
  }, 60_000);
  afterAll(() => h.stop());

  const product = (extra: object) => ({
    groupId,
    name: 'Hostile',
    type: 'shared_hosting',
    module: 'none',
    ...extra,
  });
  const count = async () => (await api.get('/v1/products', admin)).body.items.length;
  const fields = (res: { body: any }) => (res.body.errors ?? []).map((e: any) => e.field);

  it('refuses a price beyond what a quote can add up (2^53−1), naming it, and keeps the old prices', async () => {
    const before = (await api.get(`/v1/products/${demo.platform.pro}`, admin)).body.prices;
    const res = await api.put(
      `/v1/products/${demo.platform.pro}/prices`,
      { prices: [{ currency: 'EUR', cycle: 'monthly', price: Number.MAX_SAFE_INTEGER }] },
      admin,
    );
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['prices.0.price']);
    expect((await api.get(`/v1/products/${demo.platform.pro}`, admin)).body.prices).toEqual(before);
  });

  it('answers a cart whose total goes beyond safe arithmetic 422, not 500', async () => {
    const created = await api.post(
      '/v1/products',
      product({ name: 'Dear', prices: [{ currency: 'EUR', cycle: 'monthly', price: MAX_AMOUNT }] }),
      admin,
    );
    expect(created.status).toBe(201);
    const items = Array.from({ length: 100 }, () => ({
      productId: created.body.id,
      cycle: 'monthly',
      quantity: 1000,
    }));
    const res = await api.post('/v1/quotes', { currency: 'EUR', items }, admin);
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('catalog.quote_too_large');
  });

  it('refuses a promotion date PostgreSQL cannot store (year 0000), naming it, and writes nothing', async () => {
    const before = (await api.get('/v1/promotions', admin)).body.items.length;
    const res = await api.post(
      '/v1/promotions',
      {
        code: 'YEARZERO',
        discount: { kind: 'percent', bps: 100 },
        appliesTo: { kind: 'order' },
        startsAt: '0000-01-01T00:00:00Z',
      },
      admin,
    );
    expect(res.status).toBe(400);
    expect(fields(res)).toEqual(['startsAt']);
    expect((await api.get('/v1/promotions', admin)).body.items.length).toBe(before);
  });

  it('refuses a 300-character TLD (a path parameter beyond the kit’s bound: 400 naming it) and writes nothing', async () => {
    const before = (await api.get('/v1/domain-pricing', admin)).body.items.length;
    const tld = `.${'a'.repeat(299)}`;
    const res = await api.put(
      `/v1/domain-pricing/${tld}`,
      { prices: [{ currency: 'EUR', years: 1, register: 1, renew: 1, transfer: 1 }] },
      admin,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'tld' })]);
    expect((await api.get('/v1/domain-pricing', admin)).body.items.length).toBe(before);
  });

  it('refuses a __proto__ key in a module config instead of dropping it with a 201', async () => {
    const before = await count();
    const res = await api.call('POST', '/v1/products', {
      token: admin,
      headers: { 'content-type': 'application/json' },
      body: undefined,
    });
    expect(res.status).toBe(400); // no body at all: the declared fields are required
    const raw = await fetch(`${h.url}/v1/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify(product({})).replace(/}$/, ',"moduleConfig":{"__proto__":{"admin":true}}}'),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as any).errors).toEqual([
      expect.objectContaining({ field: 'moduleConfig.__proto__' }),
    ]);
    expect(await count()).toBe(before);
  });

  it.each([
    ['a NUL character', 'Bad\u0000name'],
    ['a line break', 'Two\nlines'],
    ['a lone surrogate', 'Half \ud800'],
  ])('refuses a product name with %s, naming it, and writes nothing', async (_what, name) => {
    const before = await count();
    const res = await api.post('/v1/products', product({ name }), admin);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(fields(res)).toEqual(['name']);
    expect(await count()).toBe(before);
  });
});

describe('catalog PATCH', () => {
  let h: Harness;
  let api: Client;
  let admin: string;

  beforeAll(async () => {
    h = await startCatalog();
    api = client(h.url);
    await seedCatalogDemo(h.db, { resellerTenantId: newId() });
    admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
  }, 60_000);
  afterAll(() => h.stop());

  it('changes only the description of a withdrawn promotion: it stays withdrawn, with its limits, dates and cycles', async () => {
    const created = await api.post(
      '/v1/promotions',
      {
        code: 'WITHDRAWN',
        discount: { kind: 'percent', bps: 500 },
        appliesTo: { kind: 'order' },
        cycles: ['monthly'],
        recurrence: { kind: 'recurring', cycles: 3 },
        freeSetup: true,
        startsAt: '2030-01-01T00:00:00Z',
        endsAt: '2031-01-01T00:00:00Z',
        maxUses: 10,
        maxUsesPerClient: 1,
        newClientsOnly: true,
        active: false,
      },
      admin,
    );
    expect(created.status).toBe(201);
    const before = (await api.get(`/v1/promotions/${created.body.id}`, admin)).body;
    const res = await api.patch(`/v1/promotions/${created.body.id}`, { description: 'now described' }, admin);
    expect(res.status).toBe(200);
    const after = (await api.get(`/v1/promotions/${created.body.id}`, admin)).body;
    const { description: _d, updatedAt: _u, ...rest } = after;
    const { description: _d0, updatedAt: _u0, ...restBefore } = before;
    expect(after.description).toBe('now described');
    expect(rest).toEqual(restBefore);
  });
});
