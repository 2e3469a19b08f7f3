import { newId } from '@geminis/service-kit';
import { startCatalog, type Harness as CatalogHarness } from '../../catalog/test/support/catalog';
import { startRegistrarStandIn, type RegistrarStandIn } from '../src/dev/registrar-stand-in';
import { namecomAccount } from './support/domains';
import { client, PLATFORM_TENANT_ID, startProvisioning, type Harness } from './support/provisioning';

/** The storefront search with the real catalog running next to provisioning: catalog's TLD prices, in minor units. */
describe('domain search with catalog prices', () => {
  let catalog: CatalogHarness;
  let h: Harness;
  let registrar: RegistrarStandIn;

  beforeAll(async () => {
    registrar = await startRegistrarStandIn();
    catalog = await startCatalog();
    h = await startProvisioning({ config: { domains: { catalogUrl: catalog.url } } });
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    await namecomAccount(client(h.url), admin, registrar.url, ['.com', '.net']);
    const priced = await client(catalog.url).put(
      '/v1/domain-pricing/.com',
      {
        prices: [
          { currency: 'EUR', years: 1, register: 1299, renew: 1499, transfer: 999 },
          { currency: 'EUR', years: 2, register: 2500, renew: 2900, transfer: 1900 },
        ],
      },
      catalog.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
    );
    expect(priced.status).toBe(200);
  }, 90_000);
  afterAll(async () => {
    await h?.stop();
    await catalog?.stop();
    await registrar?.close();
  });

  it("answers each name with the tenant's one-year price from catalog, and none where catalog has none", async () => {
    const res = await client(h.url).get(
      `/v1/domain-search/${PLATFORM_TENANT_ID}?names=priced-${newId().slice(-6)}.com,unpriced-name.net&currency=EUR`,
    );
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({
        available: true,
        price: { currency: 'EUR', years: 1, register: 1299, renew: 1499, transfer: 999 },
      }),
      expect.objectContaining({ domain: 'unpriced-name.net', available: true, price: null }),
    ]);
  });
});
