import { newId } from '@geminis/service-kit';
import { seedCatalogDemo, type CatalogDemo } from '../src/service';
import {
  client,
  PLATFORM_TENANT_ID,
  resellerProfile,
  startCatalog,
  storefrontIdOf,
  storefrontProduct,
  type Client,
  type Harness,
} from './support/catalog';

/**
 * The cross-tenant matrix and the API's answers to bad input, against a real PostgreSQL — twice: with both
 * walls, and with row-level security opened so that each store's own tenant filter must hold alone.
 */
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ tenant filters alone)', true],
])('catalog over HTTP %s', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  const A = newId();
  const B = newId();
  const t = {} as Record<
    'admin' | 'resellerA' | 'resellerB' | 'clientA' | 'clientB' | 'platformClient',
    string
  >;
  let bGroup: string;
  let aPromo: string;

  beforeAll(async () => {
    h = await startCatalog({}, { firstWallOnly });
    api = client(h.url);
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    expect(await h.deliver('identity.reseller.created.v1', B, resellerProfile(B, false))).toBe('ack');
    demo = await seedCatalogDemo(h.db, { resellerTenantId: A });
    await seedCatalogDemo(h.db, { resellerTenantId: A }); // idempotent
    t.admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    t.resellerA = h.issuer.tokenFor('reseller', A);
    t.resellerB = h.issuer.tokenFor('reseller', B);
    t.clientA = h.issuer.tokenFor('client', A);
    t.clientB = h.issuer.tokenFor('client', B);
    t.platformClient = h.issuer.tokenFor('client', PLATFORM_TENANT_ID);
    const g = await api.post('/v1/product-groups', { name: 'Bravo Plans', sortOrder: 1 }, t.resellerB);
    expect(g.status).toBe(201);
    bGroup = g.body.id;
    const off = await api.put(
      `/v1/offerings/${demo.platform.plesk}`,
      { enabled: true, groupId: bGroup, prices: [{ currency: 'EUR', cycle: 'monthly', price: 1999 }] },
      t.resellerB,
    );
    expect(off.status).toBe(200);
    const p = await api.post(
      '/v1/promotions',
      { code: 'AcmeSpring', discount: { kind: 'percent', bps: 2000 }, appliesTo: { kind: 'order' } },
      t.resellerA,
    );
    expect(p.status).toBe(201);
    aPromo = p.body.id;
  }, 60_000);
  afterAll(() => h.stop());

  const names = (groups: any[]) =>
    groups.flatMap((g) => g.products.map((p: any) => `${g.name}/${p.name}`)).sort();

  describe('storefront', () => {
    it("shows a reseller's storefront only its own offer, at its retail prices", async () => {
      const res = await api.get(`/v1/storefront/${A}/products?currency=EUR`);
      expect(res.status).toBe(200);
      expect(names(res.body.groups)).toEqual([
        'Acme Hosting/Acme Site Care',
        'Acme Hosting/Pro',
        'Acme Hosting/Starter',
      ]);
      const starter = res.body.groups[0].products.find((p: any) => p.name === 'Starter');
      expect(starter.prices).toContainEqual({ cycle: 'monthly', price: 599, setupFee: 0 });
    });

    it("shows reseller B's storefront only what B turned on", async () => {
      const res = await api.get(`/v1/storefront/${B}/products?currency=EUR`);
      expect(names(res.body.groups)).toEqual(['Bravo Plans/Plesk Business']);
      expect(res.body.groups[0].products[0].prices).toEqual([{ cycle: 'monthly', price: 1999, setupFee: 0 }]);
    });

    it("shows the platform's storefront its own products at platform prices and nothing of resellers", async () => {
      const res = await api.get(`/v1/storefront/${PLATFORM_TENANT_ID}/products?currency=EUR`);
      // The domain product has no package price (domains are priced per TLD): it is not listed.
      expect(names(res.body.groups)).toEqual([
        'Web Hosting/Plesk Business',
        'Web Hosting/Pro',
        'Web Hosting/Starter',
      ]);
      const starter = res.body.groups[0].products.find((p: any) => p.name === 'Starter');
      expect(starter.prices).toContainEqual({ cycle: 'monthly', price: 499, setupFee: 0 });
    });

    it('lists domain pricing per tenant', async () => {
      const platform = await api.get(`/v1/storefront/${PLATFORM_TENANT_ID}/domains?currency=USD`);
      expect(platform.body.tlds.map((x: any) => x.tld)).toEqual(
        expect.arrayContaining(['.com', '.net', '.io']),
      );
      const acme = await api.get(`/v1/storefront/${A}/domains?currency=USD`);
      expect(acme.body.tlds).toContainEqual({
        tld: '.com',
        years: 1,
        register: 1499,
        renew: 1499,
        transfer: 1499,
      });
      expect((await api.get(`/v1/storefront/${B}/domains?currency=USD`)).body.tlds).toEqual([]);
    });

    it('answers an unknown or malformed tenant with 404', async () => {
      expect((await api.get(`/v1/storefront/${newId()}/products`)).status).toBe(404);
      expect((await api.get('/v1/storefront/not-a-uuid/products')).status).toBe(404);
    });
  });

  describe('cross-tenant matrix', () => {
    const productPaths = (id: string): [string, string, unknown][] => [
      ['GET', `/v1/products/${id}`, undefined],
      ['PATCH', `/v1/products/${id}`, { name: 'Hijacked' }],
      ['POST', `/v1/products/${id}/retire`, {}],
      ['PUT', `/v1/products/${id}/prices`, { prices: [{ currency: 'EUR', cycle: 'monthly', price: 1 }] }],
      ['PUT', `/v1/products/${id}/options`, { options: [] }],
      ['PUT', `/v1/products/${id}/addons`, { addons: [] }],
    ];

    it("answers every product endpoint on another reseller's product exactly like a missing one", async () => {
      for (const [method, path, body] of productPaths(demo.reseller.custom)) {
        const foreign = await api.call(method, path, { token: t.resellerB, body });
        const missing = await api.call(method, path.replace(demo.reseller.custom, newId()), {
          token: t.resellerB,
          body,
        });
        expect([method, path, foreign.status]).toEqual([method, path, 404]);
        expect({ ...foreign.body, requestId: 0 }).toEqual({ ...missing.body, requestId: 0 });
      }
      const mine = await api.get(`/v1/products/${demo.reseller.custom}`, t.resellerA);
      expect(mine.body).toMatchObject({ name: 'Acme Site Care', visibility: 'visible' });
      expect(mine.body.prices).toContainEqual({
        currency: 'EUR',
        cycle: 'monthly',
        price: 2500,
        setupFee: 0,
      });
    });

    it("never lets a reseller change the platform's products", async () => {
      for (const [method, path, body] of productPaths(demo.platform.starter).slice(1)) {
        const res = await api.call(method, path, { token: t.resellerA, body });
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      const starter = await api.get(`/v1/products/${demo.platform.starter}`, t.admin);
      expect(starter.body.name).toBe('Starter');
      expect(starter.body.prices).toContainEqual({
        currency: 'EUR',
        cycle: 'monthly',
        price: 499,
        setupFee: 0,
      });
    });

    it('lists to each reseller only its own products, groups and promotions, whatever tenant it asks for', async () => {
      const b = await api.get(`/v1/products?tenantId=${A}`, t.resellerB);
      expect(b.body.items).toEqual([]);
      const groups = await api.get(`/v1/product-groups?tenantId=${A}`, t.resellerB);
      expect(groups.body.items.map((g: any) => g.name)).toEqual(['Bravo Plans']);
      const promos = await api.get('/v1/promotions', t.resellerB);
      expect(promos.body.items).toEqual([]);
      const a = await api.get('/v1/products', t.resellerA);
      expect(a.body.items.map((p: any) => p.name)).toEqual(['Acme Site Care']);
    });

    it("answers another reseller's group and promotion like missing ones", async () => {
      const aGroups = await api.get('/v1/product-groups', t.resellerA);
      const aGroup = aGroups.body.items[0].id;
      for (const [method, path, body] of [
        ['GET', `/v1/product-groups/${aGroup}`, undefined],
        ['PATCH', `/v1/product-groups/${aGroup}`, { name: 'x' }],
        ['DELETE', `/v1/product-groups/${aGroup}`, undefined],
        ['GET', `/v1/promotions/${aPromo}`, undefined],
        ['PATCH', `/v1/promotions/${aPromo}`, { active: false }],
      ] as const) {
        const res = await api.call(method, path, { token: t.resellerB, body });
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      expect((await api.get(`/v1/promotions/${aPromo}`, t.resellerA)).body.active).toBe(true);
    });

    it('shows each reseller only its own offerings and retail prices', async () => {
      const a = await api.get('/v1/offerings', t.resellerA);
      const b = await api.get(`/v1/offerings?tenantId=${A}`, t.resellerB);
      const plesk = (res: any) => res.body.items.find((o: any) => o.product.id === demo.platform.plesk);
      expect(plesk(a)).toMatchObject({ enabled: false, retail: [] });
      expect(plesk(b)).toMatchObject({
        enabled: true,
        retail: [{ currency: 'EUR', cycle: 'monthly', price: 1999 }],
      });
      const starterB = b.body.items.find((o: any) => o.product.id === demo.platform.starter);
      expect(starterB).toMatchObject({ enabled: false, retail: [] });
      expect(b.body.items.map((o: any) => o.product.name).sort()).toEqual([
        'Plesk Business',
        'Pro',
        'Starter',
      ]);
    });

    it('shows a reseller the platform products it may resell, not how the platform provisions them', async () => {
      const res = await api.get('/v1/offerings', t.resellerA);
      expect(res.status).toBe(200);
      const starter = res.body.items.find((o: any) => o.product.id === demo.platform.starter);
      expect(starter.product).toEqual({
        id: demo.platform.starter,
        name: 'Starter',
        description: '10 GB SSD, 1 site',
        type: 'shared_hosting',
        module: 'cpanel',
      });
    });

    it('lets the admin see every tenant and narrow to one', async () => {
      const all = await api.get('/v1/products', t.admin);
      expect(all.body.items.map((p: any) => p.name)).toEqual(
        expect.arrayContaining(['Starter', 'Acme Site Care']),
      );
      const narrowed = await api.get(`/v1/products?tenantId=${A}`, t.admin);
      expect(narrowed.body.items.map((p: any) => p.name)).toEqual(['Acme Site Care']);
      const offerings = await api.get(`/v1/offerings?tenantId=${B}`, t.admin);
      expect(offerings.body.items.find((o: any) => o.enabled).product.name).toBe('Plesk Business');
    });

    it('refuses management endpoints to clients (403) and to anonymous callers (401)', async () => {
      const paths = [
        '/v1/products',
        '/v1/product-groups',
        '/v1/promotions',
        '/v1/offerings',
        '/v1/domain-pricing',
      ];
      for (const path of paths) {
        for (const token of [t.clientA, t.clientB, t.platformClient])
          expect([path, (await api.get(path, token)).status]).toEqual([path, 403]);
        expect([path, (await api.get(path)).status]).toEqual([path, 401]);
      }
      expect(
        (await api.put(`/v1/products/${demo.platform.starter}/wholesale-prices`, { prices: [] }, t.resellerA))
          .status,
      ).toBe(403);
      expect(
        (await api.put(`/v1/offerings/${demo.platform.plesk}`, { enabled: false }, t.admin)).status,
      ).toBe(403);
    });

    it('declares every route public or authenticated, and only the storefront public', () => {
      const routes = h.running.built.routes.flatMap((r) => r.list());
      for (const r of routes)
        expect(
          r.access === 'public'
            ? r.path.startsWith('/v1/storefront/')
            : r.access !== 'service' && r.access.roles.length > 0,
        ).toBe(true);
    });
  });

  describe('API document', () => {
    /** Writes that take no body, on purpose. */
    const NO_BODY = new Set([
      'POST /v1/products/{id}/retire', // an action named entirely by its path
    ]);

    it('documents a request body for every write it serves, except the deliberate actions without one', async () => {
      const doc = (await api.get('/openapi.json')).body as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      const withoutBody = Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item)
          .filter(([method, op]) => ['post', 'put', 'patch'].includes(method) && !op.requestBody)
          .map(([method]) => `${method.toUpperCase()} ${path}`),
      );
      expect(new Set(withoutBody)).toEqual(NO_BODY);
    });

    it('declares the success answers of every route', () => {
      const undeclared = h.running.built.routes
        .flatMap((r) => r.list())
        .filter((r) => Object.keys(r.responses ?? {}).length === 0)
        .map((r) => `${r.method} ${r.path}`);
      expect(undeclared).toEqual([]);
    });

    it('documents a success answer for every operation, with the schema of its body unless it has none', async () => {
      type Answer = { content?: { 'application/json'?: { schema?: object } } };
      const doc = (await api.get('/openapi.json')).body as {
        paths: Record<string, Record<string, { responses: Record<string, Answer> }>>;
      };
      const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.entries(item).map(([method, { responses }]) => ({
          name: `${method.toUpperCase()} ${path}`,
          success: Object.entries(responses).filter(([status]) => /^2\d\d$/.test(status)),
        })),
      );
      expect(operations).toHaveLength(h.running.built.routes.flatMap((r) => r.list()).length);
      const undocumented = operations
        .filter(
          ({ success }) =>
            success.length === 0 ||
            success.some(
              ([status, answer]) => status !== '204' && !answer.content?.['application/json']?.schema,
            ),
        )
        .map(({ name }) => name);
      expect(undocumented).toEqual([]);
    });

    it('documents the ?tenantId= narrowing and the storefront currency as query parameters', async () => {
      const doc = (await api.get('/openapi.json')).body;
      expect(doc.paths['/v1/products'].get.parameters).toEqual([
        expect.objectContaining({ name: 'tenantId', in: 'query', required: false }),
      ]);
      expect(doc.paths['/v1/storefront/{id}/products'].get.parameters).toEqual([
        expect.objectContaining({ name: 'id', in: 'path' }),
        expect.objectContaining({ name: 'currency', in: 'query', required: false }),
      ]);
    });
  });

  describe('bad input', () => {
    const countProducts = async (token: string) => (await api.get('/v1/products', token)).body.items.length;

    it('refuses a negative price naming the field, and writes nothing', async () => {
      const before = await api.get(`/v1/products/${demo.reseller.custom}`, t.resellerA);
      const res = await api.put(
        `/v1/products/${demo.reseller.custom}/prices`,
        {
          prices: [
            { currency: 'EUR', cycle: 'monthly', price: 100 },
            { currency: 'EUR', cycle: 'annually', price: -1 },
          ],
        },
        t.resellerA,
      );
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'prices.1.price' })]);
      expect((await api.get(`/v1/products/${demo.reseller.custom}`, t.resellerA)).body.prices).toEqual(
        before.body.prices,
      );
    });

    it('refuses an unknown billing cycle naming the field', async () => {
      const res = await api.put(
        `/v1/products/${demo.reseller.custom}/prices`,
        { prices: [{ currency: 'EUR', cycle: 'fortnightly', price: 100 }] },
        t.resellerA,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toEqual(['prices.0.cycle']);
    });

    it('refuses a retail price below wholesale, naming the price, and keeps the old prices', async () => {
      const res = await api.put(
        `/v1/offerings/${demo.platform.starter}`,
        { enabled: true, prices: [{ currency: 'EUR', cycle: 'monthly', price: 249 }] },
        t.resellerA,
      );
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('catalog.retail_below_wholesale');
      expect(res.body.errors).toEqual([expect.objectContaining({ field: 'prices.0.price' })]);
      const store = await api.get(`/v1/storefront/${A}/products?currency=EUR`);
      const starter = store.body.groups[0].products.find((p: any) => p.name === 'Starter');
      expect(starter.prices).toContainEqual({ cycle: 'monthly', price: 599, setupFee: 0 });
    });

    it('accepts a retail price equal to wholesale', async () => {
      const res = await api.put(
        `/v1/offerings/${demo.platform.plesk}`,
        { enabled: false, prices: [{ currency: 'EUR', cycle: 'monthly', price: 900 }] },
        t.resellerA,
      );
      expect(res.status).toBe(200);
    });

    it('refuses a custom product to a reseller without allowCustomProducts, and writes nothing', async () => {
      const res = await api.post(
        '/v1/products',
        { groupId: bGroup, name: 'Bravo VPS', type: 'vps', module: 'none' },
        t.resellerB,
      );
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('catalog.custom_products_not_allowed');
      expect(await countProducts(t.resellerB)).toBe(0);
    });

    it('lets the permission follow identity: granted by reseller.updated, a later event wins', async () => {
      await h.deliver('identity.reseller.updated.v1', B, resellerProfile(B, true));
      const created = await api.post(
        '/v1/products',
        { groupId: bGroup, name: 'Bravo VPS', type: 'vps', module: 'none', visibility: 'hidden' },
        t.resellerB,
      );
      expect(created.status).toBe(201);
      await h.deliver('identity.reseller.updated.v1', B, resellerProfile(B, false));
      const retire = await api.post(`/v1/products/${created.body.id}/retire`, {}, t.resellerB);
      expect(retire.status).toBe(403);
    });

    it('refuses module config that fails its schema, naming the field, and writes nothing', async () => {
      const groups = await api.get('/v1/product-groups', t.admin);
      const groupId = groups.body.items.find((g: any) => g.name === 'Web Hosting').id;
      const before = await countProducts(t.admin);
      const res = await api.post(
        '/v1/products',
        {
          groupId,
          name: 'Broken',
          type: 'shared_hosting',
          module: 'cpanel',
          moduleConfig: { package: '', reseller: 'yes' },
        },
        t.admin,
      );
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('catalog.invalid_module_config');
      expect(res.body.errors.map((e: any) => e.field).sort()).toEqual([
        'moduleConfig.package',
        'moduleConfig.reseller',
      ]);
      const typo = await api.post(
        '/v1/products',
        {
          groupId,
          name: 'Broken',
          type: 'shared_hosting',
          module: 'plesk',
          moduleConfig: { servicePlan: 'x', reseller: true },
        },
        t.admin,
      );
      expect(typo.body.errors.map((e: any) => e.field)).toEqual(['moduleConfig.resellerPlan']);
      expect(await countProducts(t.admin)).toBe(before);
    });

    it('refuses a resellable flag on a reseller product', async () => {
      const groups = await api.get('/v1/product-groups', t.resellerA);
      const res = await api.post(
        '/v1/products',
        { groupId: groups.body.items[0].id, name: 'Mine', type: 'other', module: 'none', resellable: true },
        t.resellerA,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toEqual(['resellable']);
    });

    it('keeps promotion codes unique per tenant, case-insensitively, but not across tenants', async () => {
      const dup = await api.post(
        '/v1/promotions',
        { code: 'acmespring', discount: { kind: 'percent', bps: 500 }, appliesTo: { kind: 'order' } },
        t.resellerA,
      );
      expect(dup.status).toBe(409);
      expect(dup.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
      const other = await api.post(
        '/v1/promotions',
        {
          code: 'ACMESPRING',
          discount: { kind: 'fixed', amounts: { EUR: 500 } },
          appliesTo: { kind: 'order' },
        },
        t.resellerB,
      );
      expect(other.status).toBe(201);
    });
  });

  describe('quotes', () => {
    it('prices a cart for a platform client with WELCOME10 typed in lower case', async () => {
      const res = await api.post(
        '/v1/quotes',
        {
          currency: 'EUR',
          items: [
            { productId: demo.platform.pro, cycle: 'monthly', quantity: 1 },
            { domain: 'example.com', action: 'register', years: 2 },
          ],
          promoCode: 'welcome10',
        },
        t.platformClient,
      );
      expect(res.status).toBe(200);
      expect(res.body.lines).toEqual([
        expect.objectContaining({
          kind: 'product',
          unitPrice: 999,
          setupFee: 500,
          discount: 100,
          total: 1399,
        }),
        expect.objectContaining({ kind: 'domain', unitPrice: 2398, discount: 240, total: 2158 }),
      ]);
      expect(res.body.totals).toEqual({ subtotal: 3397, setupTotal: 500, discountTotal: 340, total: 3557 });
      expect(res.body.snapshot).toMatchObject({
        tenantId: PLATFORM_TENANT_ID,
        currency: 'EUR',
        promotion: { code: 'WELCOME10' },
      });
    });

    it("tells a reseller's client that a platform code belongs to another storefront", async () => {
      const res = await api.post(
        '/v1/quotes',
        {
          currency: 'EUR',
          items: [
            { productId: await storefrontIdOf(api, t.resellerA, demo.platform.starter), cycle: 'monthly' },
          ],
          promoCode: 'WELCOME10',
        },
        t.clientA,
      );
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('catalog.promotion_wrong_tenant');
    });

    it("prices a reseller's client at the reseller's retail prices with its own promotion", async () => {
      const res = await api.post(
        '/v1/quotes',
        {
          currency: 'EUR',
          items: [
            {
              productId: await storefrontIdOf(api, t.resellerA, demo.platform.starter),
              cycle: 'monthly',
              quantity: 2,
            },
          ],
          promoCode: 'acmespring',
        },
        t.clientA,
      );
      expect(res.status).toBe(200);
      expect(res.body.totals).toEqual({ subtotal: 1198, setupTotal: 0, discountTotal: 240, total: 958 });
    });

    it("does not sell B's client a product B does not offer, nor A's custom product", async () => {
      for (const productId of [demo.platform.starter, demo.reseller.custom]) {
        const res = await api.post(
          '/v1/quotes',
          { currency: 'EUR', items: [{ productId, cycle: 'monthly' }] },
          t.clientB,
        );
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'items.0.productId' })]);
      }
    });

    it('says why a promotion does not apply: not applicable, expired, not yet valid', async () => {
      const make = async (code: string, extra: object) =>
        expect(
          (
            await api.post(
              '/v1/promotions',
              { code, discount: { kind: 'percent', bps: 1000 }, appliesTo: { kind: 'order' }, ...extra },
              t.resellerA,
            )
          ).status,
        ).toBe(201);
      await make('ONLYPRO', { appliesTo: { kind: 'products', productIds: [demo.platform.pro] } });
      await make('OLD', { startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-02-01T00:00:00Z' });
      await make('LATER', { startsAt: '2099-01-01T00:00:00Z' });
      const starter = await storefrontIdOf(api, t.resellerA, demo.platform.starter);
      for (const [code, reason] of [
        ['ONLYPRO', 'not_applicable'],
        ['old', 'expired'],
        ['Later', 'not_yet_valid'],
      ]) {
        const res = await api.post(
          '/v1/quotes',
          {
            currency: 'EUR',
            items: [{ productId: starter, cycle: 'monthly' }],
            promoCode: code,
          },
          t.clientA,
        );
        expect([code, res.status, res.body.code]).toEqual([code, 422, `catalog.promotion_${reason}`]);
      }
    });

    it('prices options and add-ons of a resold product, and refuses a cycle that is not sold', async () => {
      const proId = await storefrontIdOf(api, t.resellerA, demo.platform.pro);
      const pro = await storefrontProduct(api, A, proId, 'USD');
      const option = pro.options[0];
      const res = await api.post(
        '/v1/quotes',
        {
          currency: 'USD',
          items: [
            {
              productId: proId,
              cycle: 'monthly',
              options: [{ optionId: option.id, quantity: 3 }],
            },
          ],
        },
        t.clientA,
      );
      expect(res.status).toBe(200);
      expect(res.body.lines[0]).toMatchObject({ unitPrice: 1199 + 3 * 200, setupFee: 500 });
      const bad = await api.post(
        '/v1/quotes',
        { currency: 'USD', items: [{ productId: proId, cycle: 'triennially' }] },
        t.clientA,
      );
      expect(bad.status).toBe(422);
      expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'items.0.cycle' })]);
    });
  });
});
