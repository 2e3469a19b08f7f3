import { CATALOG_INTERNAL, InternalQuoteView } from '@geminis/contracts';
import { allTenants, newId, rows, SERVICE_KEY_HEADER, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
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
 * White-label of resold products (issue 12): a reseller's clients cannot tell what is resold or from whom.
 * Every id they see of a resold product — product, options, choices, add-ons — is the reseller's own alias
 * of the platform's id, different at every reseller and stable; the platform's ids never appear in what a
 * reseller's storefront or quote answers; the internal quote still tells billing the platform's product.
 * The reseller may rename what it resells (PATCH: fields not sent stay as they are).
 */
describe('white-label of resold products', () => {
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  const A = newId();
  const B = newId();
  const clientOfA = newId();
  let platformIds: string[];
  let resellerA: string;
  let resellerB: string;

  const eur = (price: number) => [{ currency: 'EUR', cycle: 'monthly', price }];
  const internal = (body: unknown, token: string) =>
    api.call('POST', CATALOG_INTERNAL.quotes, {
      body,
      token,
      headers: { [SERVICE_KEY_HEADER]: h.serviceKey },
    });
  /** Each platform id found anywhere in `body` (its JSON text). */
  const leaked = (body: unknown) => {
    const text = JSON.stringify(body).toLowerCase();
    return platformIds.filter((id) => text.includes(id.toLowerCase()));
  };
  const offering = async (token: string, productId: string) =>
    (await api.get('/v1/offerings', token)).body.items.find((o: any) => o.product.id === productId);

  beforeAll(async () => {
    h = await startCatalog({ internalRoutes: true });
    api = client(h.url);
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    expect(await h.deliver('identity.reseller.created.v1', B, resellerProfile(B, false))).toBe('ack');
    expect(
      await h.deliver('identity.client.created.v1', A, {
        clientId: clientOfA,
        email: 'wl@example.com',
        name: 'A client',
        language: 'en',
        currency: 'EUR',
        via: 'reseller',
      }),
    ).toBe('ack');
    demo = await seedCatalogDemo(h.db, { resellerTenantId: A });
    resellerA = h.issuer.tokenFor('reseller', A);
    resellerB = h.issuer.tokenFor('reseller', B);
    for (const id of [demo.platform.starter, demo.platform.pro])
      expect(
        (await api.put(`/v1/offerings/${id}`, { enabled: true, prices: eur(1500) }, resellerB)).status,
      ).toBe(200);
    // Every id the platform has in catalog: groups, products, options, choices, add-ons.
    platformIds = (
      await h.db.withTenant(allTenants, (tx) =>
        rows<{ id: string }>(
          tx,
          sql`select id::text from product_groups where tenant_id = ${PLATFORM_TENANT_ID}
              union all select id::text from products where tenant_id = ${PLATFORM_TENANT_ID}
              union all select id::text from config_options where tenant_id = ${PLATFORM_TENANT_ID}
              union all select id::text from config_option_choices where tenant_id = ${PLATFORM_TENANT_ID}
              union all select id::text from addons where tenant_id = ${PLATFORM_TENANT_ID}`,
        ),
      )
    ).map((r) => r.id);
    expect(platformIds.length).toBeGreaterThan(8);
    expect(platformIds).toEqual(expect.arrayContaining([demo.platform.starter, demo.platform.pro]));
  }, 60_000);
  afterAll(() => h.stop());

  /** Pro with an option choice and Starter with its add-on, as A's (or B's) storefront shows them. */
  async function fullCart(tenantId: string, token: string) {
    const pro = await storefrontProduct(api, tenantId, await storefrontIdOf(api, token, demo.platform.pro));
    const starter = await storefrontProduct(
      api,
      tenantId,
      await storefrontIdOf(api, token, demo.platform.starter),
    );
    const option = pro.options[0];
    return {
      pro,
      starter,
      cart: {
        currency: 'EUR',
        items: [
          {
            productId: pro.id,
            cycle: 'monthly',
            options: [{ optionId: option.id, choiceId: option.choices[0].id, quantity: 2 }],
          },
          { productId: starter.id, cycle: 'monthly', addons: [{ addonId: starter.addons[0].id }] },
        ],
      },
    };
  }

  it('shows no platform id on a reseller’s storefront, in its quotes or their snapshots', async () => {
    for (const [tenant, token] of [
      [A, resellerA],
      [B, resellerB],
    ] as const) {
      for (const currency of ['EUR', 'USD']) {
        const shop = await api.get(`/v1/storefront/${tenant}/products?currency=${currency}`);
        expect(shop.status).toBe(200);
        expect(leaked(shop.body)).toEqual([]);
      }
      const { pro, starter, cart } = await fullCart(tenant, token);
      // The aliased product still has what the platform's has: options with choices, add-ons.
      expect(pro.options.length).toBeGreaterThan(0);
      expect(starter.addons.length).toBeGreaterThan(0);
      const clientToken = h.issuer.tokenFor('client', tenant);
      const quote = await api.post('/v1/quotes', cart, clientToken);
      expect(quote.status).toBe(200);
      expect(quote.body.lines.map((l: any) => l.kind)).toEqual(['product', 'product', 'addon']);
      expect(leaked(quote.body)).toEqual([]);
    }
    // The platform's own storefront does show its ids (the check above can see them).
    const platformShop = await api.get(`/v1/storefront/${PLATFORM_TENANT_ID}/products?currency=EUR`);
    expect(leaked(platformShop.body)).toEqual(expect.arrayContaining([demo.platform.starter]));
  });

  it('gives each reseller its own ids for the same product, stable across calls', async () => {
    const a = await fullCart(A, resellerA);
    const b = await fullCart(B, resellerB);
    const idsOf = (x: typeof a) => [
      x.pro.id,
      x.pro.options[0].id,
      x.pro.options[0].choices[0].id,
      x.starter.id,
      x.starter.addons[0].id,
    ];
    const ofA = idsOf(a);
    const ofB = idsOf(b);
    for (const [i, id] of ofA.entries()) expect(id).not.toBe(ofB[i]);
    expect(new Set([...ofA, ...ofB]).size).toBe(10);
    for (const id of [...ofA, ...ofB]) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab]/);
    // the same again, and after the offering is switched off and on
    expect(idsOf(await fullCart(A, resellerA))).toEqual(ofA);
    expect(
      (await api.patch(`/v1/offerings/${demo.platform.pro}`, { enabled: false }, resellerA)).status,
    ).toBe(200);
    expect((await api.patch(`/v1/offerings/${demo.platform.pro}`, { enabled: true }, resellerA)).status).toBe(
      200,
    );
    expect(idsOf(await fullCart(A, resellerA))).toEqual(ofA);
  });

  it('quotes by the alias and tells billing the platform’s product in the internal quote', async () => {
    const { pro, starter, cart } = await fullCart(A, resellerA);
    const res = await internal({ ...cart, clientId: clientOfA }, resellerA);
    expect(res.status).toBe(200);
    const quote = InternalQuoteView.parse(res.body);
    const [proLine, starterLine, addonLine] = quote.lines;
    expect(proLine).toMatchObject({
      productId: pro.id,
      details: { source: 'resold', platformProductId: demo.platform.pro, module: 'cpanel' },
    });
    expect(starterLine).toMatchObject({
      productId: starter.id,
      details: { source: 'resold', platformProductId: demo.platform.starter },
    });
    expect(addonLine?.details).toMatchObject({ addonId: starter.addons[0].id, forProductId: starter.id });
    expect(quote.snapshot.lines).toEqual(quote.lines);
  });

  it('refuses the platform’s ids on a reseller’s storefront exactly like unknown ids', async () => {
    const clientToken = h.issuer.tokenFor('client', A);
    const quote = (items: unknown[]) => api.post('/v1/quotes', { currency: 'EUR', items }, clientToken);
    const unknown = await quote([{ productId: newId(), cycle: 'monthly' }]);
    const platform = await quote([{ productId: demo.platform.starter, cycle: 'monthly' }]);
    expect(unknown.status).toBe(400);
    expect(platform.status).toBe(unknown.status);
    expect(platform.body.code).toBe(unknown.body.code);
    expect(platform.body.errors).toEqual(unknown.body.errors);
    expect(platform.body.errors).toEqual([expect.objectContaining({ field: 'items.0.productId' })]);
    // a platform option or add-on id on the aliased product: as an unknown one
    const { pro, starter } = await fullCart(A, resellerA);
    const platformPro = (
      await api.get(`/v1/products/${demo.platform.pro}`, h.issuer.tokenFor('admin', PLATFORM_TENANT_ID))
    ).body;
    const platformOption = platformPro.options[0];
    const badOption = await quote([
      {
        productId: pro.id,
        cycle: 'monthly',
        options: [{ optionId: platformOption.id, choiceId: platformOption.choices[0].id, quantity: 1 }],
      },
    ]);
    expect(badOption.status).toBe(400);
    expect(badOption.body.errors).toEqual([expect.objectContaining({ field: 'items.0.options.0.optionId' })]);
    const platformStarter = (
      await api.get(`/v1/products/${demo.platform.starter}`, h.issuer.tokenFor('admin', PLATFORM_TENANT_ID))
    ).body;
    const badAddon = await quote([
      { productId: starter.id, cycle: 'monthly', addons: [{ addonId: platformStarter.addons[0].id }] },
    ]);
    expect(badAddon.status).toBe(400);
    expect(badAddon.body.errors).toEqual([expect.objectContaining({ field: 'items.0.addons.0.addonId' })]);
    // and an alias means nothing on the platform's own storefront
    const onPlatform = await api.post(
      '/v1/quotes',
      { currency: 'EUR', items: [{ productId: starter.id, cycle: 'monthly' }] },
      h.issuer.tokenFor('client', PLATFORM_TENANT_ID),
    );
    expect(onPlatform.status).toBe(400);
  });

  it('applies a reseller’s promotion named by the alias or by the platform’s id', async () => {
    const { starter } = await fullCart(A, resellerA);
    for (const [code, productId] of [
      ['WLALIAS', starter.id],
      ['WLPLATFORM', demo.platform.starter],
    ]) {
      const made = await api.post(
        '/v1/promotions',
        {
          code,
          discount: { kind: 'percent', bps: 1000 },
          appliesTo: { kind: 'products', productIds: [productId] },
        },
        resellerA,
      );
      expect(made.status).toBe(201);
      const res = await api.post(
        '/v1/quotes',
        { currency: 'EUR', items: [{ productId: starter.id, cycle: 'monthly' }], promoCode: code },
        h.issuer.tokenFor('client', A),
      );
      expect([code, res.status, res.body.totals?.discountTotal > 0]).toEqual([code, 200, true]);
    }
  });

  describe('the reseller’s name and description of a resold product', () => {
    it('shows the reseller’s name on its storefront and in its quotes, the platform’s elsewhere', async () => {
      const before = await offering(resellerA, demo.platform.starter);
      const res = await api.patch(
        `/v1/offerings/${demo.platform.starter}`,
        { name: 'Acme Basic', description: 'Our entry plan' },
        resellerA,
      );
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        productId: demo.platform.starter,
        storefrontId: before.storefrontId,
        name: 'Acme Basic',
        description: 'Our entry plan',
        enabled: before.enabled,
        groupId: before.groupId,
      });
      const shown = await storefrontProduct(api, A, before.storefrontId);
      expect(shown).toMatchObject({ name: 'Acme Basic', description: 'Our entry plan' });
      const quote = await api.post(
        '/v1/quotes',
        { currency: 'EUR', items: [{ productId: before.storefrontId, cycle: 'monthly' }] },
        h.issuer.tokenFor('client', A),
      );
      expect(quote.body.lines[0].description).toBe('Acme Basic');
      // B's storefront and the platform's keep the platform's name
      const atB = await storefrontProduct(
        api,
        B,
        await storefrontIdOf(api, resellerB, demo.platform.starter),
      );
      expect(atB.name).toBe('Starter');
      const platform = await storefrontProduct(api, PLATFORM_TENANT_ID, demo.platform.starter);
      expect(platform.name).toBe('Starter');
      // null: the platform's again
      const reset = await api.patch(
        `/v1/offerings/${demo.platform.starter}`,
        { description: null },
        resellerA,
      );
      expect(reset.body).toMatchObject({ name: 'Acme Basic', description: null });
      expect((await storefrontProduct(api, A, before.storefrontId)).description).toBe(platform.description);
    });

    it('keeps every field a PATCH or PUT does not send', async () => {
      const id = demo.platform.pro;
      const seen = async () => {
        const o = await offering(resellerA, id);
        return {
          enabled: o.enabled,
          groupId: o.groupId,
          retail: o.retail,
          name: o.name,
          description: o.description,
        };
      };
      await api.patch(
        `/v1/offerings/${id}`,
        { name: 'Acme Pro', description: 'More of everything' },
        resellerA,
      );
      const start = await seen();
      expect(start).toMatchObject({ enabled: true, name: 'Acme Pro', description: 'More of everything' });
      expect(start.retail.length).toBeGreaterThan(0);
      const changes: [string, unknown][] = [
        ['name', 'Acme Pro Plus'],
        ['description', 'Even more'],
        ['enabled', false],
        ['groupId', null],
        ['prices', [{ currency: 'EUR', cycle: 'monthly', price: 1400, setupFee: 0 }]],
      ];
      let expected: Record<string, unknown> = start;
      for (const [field, value] of changes) {
        const res = await api.patch(`/v1/offerings/${id}`, { [field]: value }, resellerA);
        expect([field, res.status]).toEqual([field, 200]);
        const now = await seen();
        if (field === 'prices') {
          expect(now.retail).toEqual([{ currency: 'EUR', cycle: 'monthly', price: 1400, setupFee: 0 }]);
          expect(now).toEqual({ ...expected, retail: now.retail });
        } else {
          expect(now).toEqual({ ...expected, [field]: value });
        }
        expected = now;
      }
      // PUT: `enabled` is required, the rest stays when not sent
      const put = await api.put(`/v1/offerings/${id}`, { enabled: true }, resellerA);
      expect(put.status).toBe(200);
      expect(await seen()).toEqual({ ...expected, enabled: true });
    });

    it('refuses a bad name or description naming the field, and writes nothing', async () => {
      const id = demo.platform.starter;
      const before = await offering(resellerA, id);
      for (const [body, field] of [
        [{ name: 'x'.repeat(201) }, 'name'],
        [{ name: '' }, 'name'],
        [{ name: 'a\u0000b' }, 'name'],
        [{ description: 'y'.repeat(5001) }, 'description'],
        [{ name: 'ok', nickname: 'x' }, ''],
      ] as const) {
        const res = await api.patch(`/v1/offerings/${id}`, body, resellerA);
        expect([field, res.status]).toEqual([field, 400]);
        if (field) expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
      }
      expect(await offering(resellerA, id)).toEqual(before);
    });

    it('gives another tenant’s product or an alias the same 404 as a missing product', async () => {
      const missing = await api.patch(`/v1/offerings/${newId()}`, { name: 'X' }, resellerB);
      expect(missing.status).toBe(404);
      const alias = await storefrontIdOf(api, resellerA, demo.platform.starter);
      for (const productId of [demo.reseller.custom, alias]) {
        const res = await api.patch(`/v1/offerings/${productId}`, { name: 'X' }, resellerB);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe(missing.body.code);
      }
      // A's name of the product is A's alone
      expect((await offering(resellerB, demo.platform.starter)).name).toBeNull();
      // only a reseller sets its offerings
      const asClient = await api.patch(
        `/v1/offerings/${demo.platform.starter}`,
        { name: 'X' },
        h.issuer.tokenFor('client', A),
      );
      expect(asClient.status).toBe(403);
      const rowsOfB = await h.db.withTenant(tenantScope(B), (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from offerings where tenant_id = ${B} and name is not null`,
        ),
      );
      expect(rowsOfB[0]!.n).toBe(0);
    });
  });
});
