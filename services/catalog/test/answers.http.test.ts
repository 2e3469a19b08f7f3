import { newId } from '@geminis/service-kit';
import { seedCatalogDemo } from '../src/service';
import {
  client,
  PLATFORM_TENANT_ID,
  resellerProfile,
  startCatalog,
  type Client,
  type Harness,
  type Res,
} from './support/catalog';

/**
 * Every route answers successfully at least once here, with every shape its answer can take (each
 * module's configuration, each kind of option, discount, scope and quote line). The harness checks each
 * answer against the schema its route declares, so an undeclared or mistyped field fails as a 500.
 */
describe('catalog answers', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  let admin: string;
  let resellerA: string;
  let platformClient: string;
  let custom: string;
  /** `METHOD /path/:param` of every route that answered with a 2xx. */
  const answered = new Set<string>();

  beforeAll(async () => {
    h = await startCatalog();
    api = client(h.url);
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    custom = (await seedCatalogDemo(h.db, { resellerTenantId: A })).reseller.custom;
    admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    resellerA = h.issuer.tokenFor('reseller', A);
    platformClient = h.issuer.tokenFor('client', PLATFORM_TENANT_ID);
  }, 60_000);
  afterAll(() => h.stop());

  const ok = async (route: string, call: Promise<Res>, status = 200) => {
    const res = await call;
    expect({ route, status: res.status, body: res.status === status ? 'ok' : res.body }).toEqual({
      route,
      status,
      body: 'ok',
    });
    answered.add(route);
    return res.body;
  };
  const eur = (price: number, setupFee = 0) => [{ currency: 'EUR', cycle: 'monthly', price, setupFee }];

  it('answers every route as its schema says', async () => {
    const group = await ok(
      'POST /v1/product-groups',
      api.post('/v1/product-groups', { name: 'Tour' }, admin),
      201,
    );
    await ok('GET /v1/product-groups', api.get('/v1/product-groups', admin));
    await ok('GET /v1/product-groups/:id', api.get(`/v1/product-groups/${group.id}`, admin));
    await ok(
      'PATCH /v1/product-groups/:id',
      api.patch(`/v1/product-groups/${group.id}`, { description: 'Every shape', visible: true }, admin),
    );

    const product = (name: string, fields: object) =>
      ok(
        'POST /v1/products',
        api.post('/v1/products', { groupId: group.id, name, prices: eur(1000), ...fields }, admin),
        201,
      );
    const cpanel = await product('Tour cPanel', {
      type: 'reseller_hosting',
      module: 'cpanel',
      moduleConfig: { package: 'tour', reseller: true, acl: 'resellers' },
      resellable: true,
    });
    expect(cpanel.moduleConfig).toEqual({
      package: 'tour',
      reseller: true,
      acl: 'resellers',
      dedicatedIp: false,
    });
    await product('Tour Plesk', {
      type: 'shared_hosting',
      module: 'plesk',
      moduleConfig: { servicePlan: 'Tour', reseller: true, resellerPlan: 'Tour R' },
    });
    await product('Tour DirectAdmin', {
      type: 'shared_hosting',
      module: 'directadmin',
      moduleConfig: { package: 'tour' },
    });
    await product('Tour Domains', {
      type: 'domain',
      module: 'registrar',
      moduleConfig: { registrar: 'enom' },
    });
    const retired = await product('Tour Other', { type: 'other', module: 'none', visibility: 'hidden' });
    await ok('GET /v1/products', api.get('/v1/products', admin));
    await ok(
      'PATCH /v1/products/:id',
      api.patch(`/v1/products/${cpanel.id}`, { moduleConfig: { package: 'tour', dedicatedIp: true } }, admin),
    );
    await ok('POST /v1/products/:id/retire', api.post(`/v1/products/${retired.id}/retire`, {}, admin));

    await ok(
      'PUT /v1/products/:id/prices',
      api.put(`/v1/products/${cpanel.id}/prices`, { prices: eur(1000, 500) }, admin),
    );
    await ok(
      'PUT /v1/products/:id/wholesale-prices',
      api.put(`/v1/products/${cpanel.id}/wholesale-prices`, { prices: eur(600) }, admin),
    );
    const options = await ok(
      'PUT /v1/products/:id/options',
      api.put(
        `/v1/products/${cpanel.id}/options`,
        {
          options: [
            {
              name: 'Location',
              kind: 'select',
              choices: [
                { label: 'Lisbon', prices: eur(0) },
                { label: 'Oslo', prices: eur(100) },
              ],
            },
            {
              name: 'Extra IPs',
              kind: 'quantity',
              maxQuantity: 4,
              choices: [{ label: 'IP', prices: eur(200) }],
            },
            { name: 'Backups', kind: 'yesno', choices: [{ label: 'Yes', prices: eur(150) }] },
          ],
        },
        admin,
      ),
    );
    const addons = await ok(
      'PUT /v1/products/:id/addons',
      api.put(`/v1/products/${cpanel.id}/addons`, { addons: [{ name: 'SSL', prices: eur(300) }] }, admin),
    );
    const detail = await ok('GET /v1/products/:id', api.get(`/v1/products/${cpanel.id}`, admin));
    expect(detail.wholesale).toEqual([{ currency: 'EUR', cycle: 'monthly', price: 600, setupFee: 0 }]);
    const own = await ok('GET /v1/products/:id', api.get(`/v1/products/${custom}`, resellerA));
    expect(own).not.toHaveProperty('wholesale');

    const empty = await ok(
      'POST /v1/product-groups',
      api.post('/v1/product-groups', { name: 'Empty' }, admin),
      201,
    );
    await ok('DELETE /v1/product-groups/:id', api.del(`/v1/product-groups/${empty.id}`, admin), 204);

    await ok('GET /v1/offerings', api.get('/v1/offerings', resellerA));
    await ok(
      'PUT /v1/offerings/:productId',
      api.put(`/v1/offerings/${cpanel.id}`, { enabled: true, groupId: null, prices: eur(900) }, resellerA),
    );
    await ok(
      'PATCH /v1/offerings/:productId',
      api.patch(`/v1/offerings/${cpanel.id}`, { name: 'Tour hosting' }, resellerA),
    );

    await ok(
      'PUT /v1/domain-pricing/:tld',
      api.put(
        '/v1/domain-pricing/.co.uk',
        { prices: [{ currency: 'EUR', years: 1, register: 899, renew: 999, transfer: 899 }] },
        admin,
      ),
    );
    await ok('GET /v1/domain-pricing', api.get('/v1/domain-pricing?currency=EUR', admin));

    const promotion = (body: object) =>
      ok(
        'POST /v1/promotions',
        api.post('/v1/promotions', { appliesTo: { kind: 'order' }, ...body }, admin),
        201,
      );
    const fixed = await promotion({
      code: 'tour-fixed',
      discount: { kind: 'fixed', amounts: { EUR: 300, USD: 350 } },
      appliesTo: { kind: 'products', productIds: [cpanel.id] },
      cycles: ['monthly'],
      recurrence: { kind: 'recurring', cycles: null },
      freeSetup: true,
      startsAt: '2020-01-01T00:00:00+02:00',
      endsAt: '2099-01-01T00:00:00Z',
      maxUses: 100,
      maxUsesPerClient: 2,
    });
    await promotion({
      code: 'TOUR_GROUPS',
      discount: { kind: 'percent', bps: 1250 },
      appliesTo: { kind: 'groups', groupIds: [group.id] },
      recurrence: { kind: 'recurring', cycles: 3 },
    });
    await ok('GET /v1/promotions', api.get('/v1/promotions', admin));
    await ok('GET /v1/promotions/:id', api.get(`/v1/promotions/${fixed.id}`, admin));
    await ok(
      'PATCH /v1/promotions/:id',
      api.patch(`/v1/promotions/${fixed.id}`, { description: 'Tour', newClientsOnly: false }, admin),
    );

    const option = (name: string) => options.items.find((o: { name: string }) => o.name === name);
    const [location, ips, backups] = [option('Location'), option('Extra IPs'), option('Backups')];
    const quote = await ok(
      'POST /v1/quotes',
      api.post(
        '/v1/quotes',
        {
          currency: 'EUR',
          items: [
            {
              productId: cpanel.id,
              cycle: 'monthly',
              options: [
                { optionId: location.id, choiceId: location.choices[1].id },
                { optionId: ips.id, quantity: 0 },
                { optionId: backups.id, enabled: true },
              ],
              addons: [{ addonId: addons.items[0].id }],
            },
            { domain: 'example.co.uk', action: 'register' },
          ],
          promoCode: 'TOUR-FIXED',
        },
        platformClient,
      ),
    );
    expect(quote.lines.map((l: { kind: string }) => l.kind)).toEqual(['product', 'addon', 'domain']);
    expect(quote.promotion).toMatchObject({ code: 'TOUR-FIXED', discount: { kind: 'fixed', amount: 300 } });
    const staff = await ok(
      'POST /v1/quotes',
      api.post('/v1/quotes', { currency: 'EUR', items: [{ productId: cpanel.id, cycle: 'monthly' }] }, admin),
    );
    expect(staff.snapshot).toMatchObject({ clientId: null, promotion: null });

    await ok(
      'GET /v1/storefront/:id/products',
      api.get(`/v1/storefront/${PLATFORM_TENANT_ID}/products?currency=EUR`),
    );
    await ok('GET /v1/storefront/:id/products', api.get(`/v1/storefront/${A}/products?currency=EUR`));
    await ok('GET /v1/storefront/:id/domains', api.get(`/v1/storefront/${PLATFORM_TENANT_ID}/domains`));
    await ok('DELETE /v1/domain-pricing/:tld', api.del('/v1/domain-pricing/.co.uk', admin), 204);

    const routes = h.running.built.routes.flatMap((r) => r.list()).map((r) => `${r.method} ${r.path}`);
    expect([...answered].sort()).toEqual([...new Set(routes)].sort());
  });
});
