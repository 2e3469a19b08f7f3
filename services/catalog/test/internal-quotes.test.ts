import { CATALOG_INTERNAL, InternalQuoteView, PublicQuoteSnapshot, QuoteView } from '@geminis/contracts';
import { allTenants, newId, rows, SERVICE_KEY_HEADER, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { seedCatalogDemo, type CatalogDemo } from '../src/service';
import {
  client,
  PLATFORM_TENANT_ID,
  resellerProfile,
  startCatalog,
  storefrontIdOf,
  type Client,
  type Harness,
} from './support/catalog';

const INTERNAL_ONLY = ['source', 'module', 'moduleConfig', 'wholesale', 'platformProductId'];

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => keysOf(v, into));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  return into;
}

/**
 * White-label quotes and the internal quote billing stores: a client's quote says nothing of what is
 * resold or how it is provisioned; POST /internal/v1/quotes (service key + the caller's token) adds it,
 * with the wholesale price owed to the platform; a quote names only clients of its own tenant.
 */
describe.each([
  ['both walls', false],
  ['the stores’ own tenant filters only (RLS opened)', true],
])('quotes: white-label, internal detail and clients of the tenant — %s', (_wall, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  const A = newId();
  const B = newId();
  let proOption: { optionId: string; choiceId: string };
  let starterAddon: string;
  /** What A's clients see for the platform's Pro and Starter (white-label aliases). */
  const alias = { pro: '', starter: '' };
  const clientOfA = newId();
  const clientOfB = newId();

  const clientCreated = (clientId: string) => ({
    clientId,
    email: `c-${clientId.slice(-8)}@example.com`,
    name: 'A client',
    language: 'en',
    currency: 'EUR',
    via: 'reseller',
  });

  beforeAll(async () => {
    h = await startCatalog({ internalRoutes: true }, { firstWallOnly });
    api = client(h.url);
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    expect(await h.deliver('identity.reseller.created.v1', B, resellerProfile(B, true))).toBe('ack');
    demo = await seedCatalogDemo(h.db, { resellerTenantId: A });
    expect(await h.deliver('identity.client.created.v1', A, clientCreated(clientOfA))).toBe('ack');
    expect(await h.deliver('identity.client.created.v1', B, clientCreated(clientOfB))).toBe('ack');
    const shop = await api.get(`/v1/storefront/${A}/products?currency=EUR`);
    expect(shop.status).toBe(200);
    const products = shop.body.groups.flatMap((g: any) => g.products);
    const pro = products.find((p: any) => p.name === 'Pro');
    proOption = { optionId: pro.options[0].id, choiceId: pro.options[0].choices[0].id };
    starterAddon = products.find((p: any) => p.name === 'Starter').addons[0].id;
    alias.pro = pro.id;
    alias.starter = products.find((p: any) => p.name === 'Starter').id;
  }, 60_000);
  afterAll(() => h.stop());

  /** Resold Pro with 3 × 10 GB extra storage, resold Starter with its add-on, A's own product, a domain. */
  const cart = (extra: object = {}) => ({
    currency: 'EUR',
    items: [
      {
        productId: alias.pro,
        cycle: 'monthly',
        quantity: 2,
        options: [{ optionId: proOption.optionId, quantity: 3 }],
      },
      { productId: alias.starter, cycle: 'monthly', addons: [{ addonId: starterAddon }] },
      { productId: demo.reseller.custom, cycle: 'monthly' },
      { domain: 'example.com', action: 'register', years: 1 },
    ],
    ...extra,
  });

  const internal = (body: unknown, opts: { token?: string; key?: string | null } = {}) =>
    api.call('POST', CATALOG_INTERNAL.quotes, {
      body,
      ...(opts.token ? { token: opts.token } : {}),
      headers: opts.key === null ? {} : { [SERVICE_KEY_HEADER]: opts.key ?? h.serviceKey },
    });

  describe('a client’s quote (POST /v1/quotes)', () => {
    it('shows no source, module, module configuration or wholesale price anywhere', async () => {
      const res = await api.post('/v1/quotes', cart(), h.issuer.tokenFor('client', A, clientOfA));
      expect(res.status).toBe(200);
      expect(QuoteView.strict().safeParse(res.body).success).toBe(true);
      const keys = keysOf(res.body);
      expect(INTERNAL_ONLY.filter((k) => keys.has(k))).toEqual([]);
      expect(JSON.stringify(res.body)).not.toContain('cpanel');
    });

    it('answers a resold line and an own line with exactly the same fields', async () => {
      const res = await api.post('/v1/quotes', cart(), h.issuer.tokenFor('client', A, clientOfA));
      const shape = (line: any) => ({
        line: Object.keys(line).sort(),
        details: Object.keys(line.details).sort(),
      });
      // Pro (resold, with an option) and Acme Site Care (A's own): the same keys, line and details.
      const resold = res.body.lines.find((l: any) => l.productId === alias.pro);
      const ownLine = res.body.lines.find((l: any) => l.productId === demo.reseller.custom);
      expect(shape(resold)).toEqual(shape(ownLine));
    });
  });

  describe('the internal quote (POST /internal/v1/quotes)', () => {
    it('refuses a caller without the service key, even with a valid token', async () => {
      const res = await internal(cart(), { token: h.issuer.tokenFor('client', A, clientOfA), key: null });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth.service_key');
      const wrong = await internal(cart(), { token: h.issuer.tokenFor('client', A, clientOfA), key: 'nope' });
      expect(wrong.status).toBe(401);
    });

    it('refuses the service key without a caller’s token, or with a forged one', async () => {
      const res = await internal(cart());
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth.missing_token');
      const forged = await internal(cart(), { token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
      expect(forged.status).toBe(401);
    });

    it('gives each line its source, module, configuration, platform product and the wholesale owed', async () => {
      const res = await internal(cart(), { token: h.issuer.tokenFor('client', A, clientOfA) });
      expect(res.status).toBe(200);
      const quote = InternalQuoteView.parse(res.body);
      const [pro, starter, backups, care, domain] = quote.lines;
      // Pro: wholesale 600/month + 3 × 200 (the platform's option price) per unit; setup fee 0.
      expect(pro).toMatchObject({
        kind: 'product',
        productId: alias.pro,
        quantity: 2,
        unitPrice: 1199 + 600,
        details: {
          source: 'resold',
          module: 'cpanel',
          moduleConfig: { package: 'pro' },
          platformProductId: demo.platform.pro,
          wholesale: { price: 600 + 3 * 200, setupFee: 0 },
        },
      });
      expect(starter?.details).toMatchObject({
        source: 'resold',
        platformProductId: demo.platform.starter,
        wholesale: { price: 250, setupFee: 0 },
      });
      // The platform's add-on, resold at the platform's price: owed in full.
      expect(backups).toMatchObject({ kind: 'addon', unitPrice: 150 });
      expect(backups?.details).toMatchObject({ source: 'resold', wholesale: { price: 150, setupFee: 0 } });
      expect(care?.details).toMatchObject({
        source: 'own',
        module: 'none',
        platformProductId: null,
        wholesale: null,
      });
      // A's own domain pricing; what the platform charges for the same registration is what A owes.
      expect(domain).toMatchObject({ kind: 'domain', unitPrice: 1499 });
      expect(domain?.details).toMatchObject({ source: 'own', wholesale: { price: 1199, setupFee: 0 } });
      // The snapshot billing stores carries the same lines.
      expect(quote.snapshot.lines).toEqual(quote.lines);
      expect(quote.snapshot.clientId).toBe(clientOfA);
    });

    it('prices with the public quote’s decisions: the same amounts and totals', async () => {
      const token = h.issuer.tokenFor('client', A, clientOfA);
      const pub = await api.post('/v1/quotes', cart(), token);
      const int = await internal(cart(), { token });
      const amounts = (b: any) => ({
        totals: b.totals,
        lines: b.lines.map(({ details: _d, ...rest }: any) => rest),
      });
      expect(amounts(int.body)).toEqual(amounts(pub.body));
    });

    it('strips to the public snapshot with PublicQuoteSnapshot (what billing may show a client)', async () => {
      const token = h.issuer.tokenFor('client', A, clientOfA);
      const int = await internal(cart(), { token });
      const pub = await api.post('/v1/quotes', cart(), token);
      const stripped = PublicQuoteSnapshot.parse(int.body.snapshot);
      expect(INTERNAL_ONLY.filter((k) => keysOf(stripped).has(k))).toEqual([]);
      const sameQuote = (snap: any) => ({ ...snap, quoteId: null, createdAt: null });
      expect(sameQuote(stripped)).toEqual(sameQuote(pub.body.snapshot));
    });

    it('quotes in the wholesale of the quote’s currency and cycle', async () => {
      const res = await internal(
        { currency: 'USD', items: [{ productId: alias.starter, cycle: 'annually' }] },
        { token: h.issuer.tokenFor('client', A, clientOfA) },
      );
      expect(res.status).toBe(200);
      expect(res.body.currency).toBe('USD');
      expect(res.body.lines[0].details.wholesale).toEqual({ price: 2500, setupFee: 0 });
    });

    it('does not sell a resold product in a cycle the platform no longer sells wholesale', async () => {
      const reseller = h.issuer.tokenFor('reseller', A);
      const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
      const offered = await api.put(
        `/v1/offerings/${demo.platform.plesk}`,
        { enabled: true, prices: [{ currency: 'EUR', cycle: 'monthly', price: 1999, setupFee: 0 }] },
        reseller,
      );
      expect(offered.status).toBe(200);
      const pleskId = await storefrontIdOf(api, reseller, demo.platform.plesk);
      const plesk = { currency: 'EUR', items: [{ productId: pleskId, cycle: 'monthly' }] };
      const token = h.issuer.tokenFor('client', A, clientOfA);
      expect((await internal(plesk, { token })).body.lines[0].details.wholesale).toEqual({
        price: 900,
        setupFee: 0,
      });
      // The platform withdraws its monthly wholesale price: the reseller's retail price stays, but the
      // product is no longer sold monthly — said as for a missing retail price (white-label).
      const withdrawn = await api.put(
        `/v1/products/${demo.platform.plesk}/wholesale-prices`,
        { prices: [{ currency: 'EUR', cycle: 'annually', price: 9000, setupFee: 0 }] },
        admin,
      );
      expect(withdrawn.status).toBe(200);
      for (const res of [await internal(plesk, { token }), await api.post('/v1/quotes', plesk, token)]) {
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('catalog.price_unavailable');
        expect(res.body.errors).toEqual([
          { field: 'items.0.cycle', message: 'not sold monthly in this currency' },
        ]);
      }
    });

    it('keeps tenants apart: tenant B’s token cannot quote A’s storefront or A’s products', async () => {
      // B's staff naming A's tenant: the token's tenant wins, and A's products are not on sale at B.
      const asReseller = await internal(
        { ...cart(), tenantId: A },
        { token: h.issuer.tokenFor('reseller', B) },
      );
      expect(asReseller.status).toBe(400);
      expect(asReseller.body.errors[0].field).toBe('items.0.productId');
      const asClient = await internal(
        { currency: 'EUR', items: [{ productId: demo.reseller.custom, cycle: 'monthly' }] },
        { token: h.issuer.tokenFor('client', B, clientOfB) },
      );
      expect(asClient.status).toBe(400);
      expect(asClient.body.errors[0].field).toBe('items.0.productId');
    });
  });

  describe('the client a quote names', () => {
    const outboxCount = async () => {
      const [r] = await h.db.withTenant(allTenants, (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select (select count(*) from outbox) + (select count(*) from clients)
                   + (select count(*) from promotion_redemptions) as n`,
        ),
      );
      return r!.n;
    };

    it('refuses another tenant’s client named by staff (422 naming clientId), on both routes', async () => {
      const before = await outboxCount();
      const token = h.issuer.tokenFor('reseller', A);
      for (const res of [
        await api.post('/v1/quotes', cart({ clientId: clientOfB }), token),
        await internal(cart({ clientId: clientOfB }), { token }),
        await api.post(
          '/v1/quotes',
          cart({ clientId: clientOfB, tenantId: A }),
          h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
        ),
      ]) {
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('catalog.client_unknown');
        expect(res.body.errors).toEqual([expect.objectContaining({ field: 'clientId' })]);
      }
      expect(await outboxCount()).toBe(before);
    });

    it('accepts its own tenant’s client named by staff and keeps it in the snapshot', async () => {
      const res = await api.post(
        '/v1/quotes',
        cart({ clientId: clientOfA }),
        h.issuer.tokenFor('reseller', A),
      );
      expect(res.status).toBe(200);
      expect(res.body.snapshot).toMatchObject({ tenantId: A, clientId: clientOfA });
    });

    it('refuses a client not known yet, and quotes for it once identity’s event has arrived', async () => {
      const fresh = newId();
      const token = h.issuer.tokenFor('reseller', A);
      const early = await internal(cart({ clientId: fresh }), { token });
      expect(early.status).toBe(422);
      expect(early.body.code).toBe('catalog.client_unknown');
      expect(await h.deliver('identity.client.created.v1', A, clientCreated(fresh))).toBe('ack');
      const retried = await internal(cart({ clientId: fresh }), { token });
      expect(retried.status).toBe(200);
      expect(retried.body.snapshot.clientId).toBe(fresh);
    });

    it('needs no announcement for a client quoting for itself: its token vouches for it', async () => {
      const brandNew = newId();
      const res = await api.post('/v1/quotes', cart(), h.issuer.tokenFor('client', A, brandNew));
      expect(res.status).toBe(200);
      expect(res.body.snapshot.clientId).toBe(brandNew);
    });

    it('applies a duplicate client announcement once', async () => {
      const id = newId();
      const fresh = newId();
      expect(await h.deliver('identity.client.created.v1', A, clientCreated(fresh), id)).toBe('ack');
      expect(await h.deliver('identity.client.created.v1', A, clientCreated(fresh), id)).toBe('ack');
      const [r] = await h.db.withTenant(tenantScope(A), (tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from clients where client_id = ${fresh}`),
      );
      expect(r!.n).toBe(1);
    });
  });
});
