import { newId } from '@geminis/service-kit';
import { seedCatalogDemo } from '../../services/catalog/src/service';
import {
  PLATFORM_TENANT_ID,
  resellerProfile,
  startCatalog,
  type Harness,
} from '../../services/catalog/test/support/catalog';
import { fuzzService, report } from './support/engine';

describe('catalog under generated hostile requests', () => {
  let h: Harness;
  const A = newId();

  beforeAll(async () => {
    h = await startCatalog();
    expect(await h.deliver('identity.reseller.created.v1', A, resellerProfile(A, true))).toBe('ack');
    await seedCatalogDemo(h.db, { resellerTenantId: A });
  }, 60_000);
  afterAll(() => h.stop());

  it('answers every operation, as every role, never 5xx; a refusal is problem+json and writes nothing', async () => {
    const { findings, requests, operations, patches } = await fuzzService({
      service: 'catalog',
      url: h.url,
      adminDbUrl: h.testDb.adminUrl,
      tokens: {
        admin: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
        reseller: h.issuer.tokenFor('reseller', A),
        client: h.issuer.tokenFor('client', A),
      },
    });
    expect(operations).toBeGreaterThan(20);
    expect(requests).toBeGreaterThan(operations * 4 * 10);
    expect(report(findings)).toBe('');
    // PATCH of one field at a time: nothing else of the resource changes.
    expect(patches.findings).toEqual([]);
    expect(patches.patched).toBeGreaterThan(5);
  }, 300_000);
});
