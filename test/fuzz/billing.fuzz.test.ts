import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { newClient, openShop, startBilling, type Harness } from '../../services/billing/test/support/billing';
import { adminUrlOf } from './support/database';
import { fuzzService, report } from './support/engine';

describe('billing under generated hostile requests', () => {
  let h: Harness;
  let tokens: { admin: string; reseller: string; client: string };

  beforeAll(async () => {
    h = await startBilling();
    const shop = await openShop(h);
    const buyer = await newClient(h, shop.tenantId);
    const order = await fetch(`${h.url}/v1/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${buyer.token}` },
      body: JSON.stringify({ currency: 'EUR', items: [{ productId: shop.productId, cycle: 'monthly' }] }),
    });
    expect(order.status).toBeLessThan(300);
    tokens = {
      admin: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
      reseller: shop.resellerToken,
      client: buyer.token,
    };
  }, 60_000);
  afterAll(() => h.stop());

  it('answers every operation, as every role, never 5xx; a refusal is problem+json and writes nothing', async () => {
    const { findings, requests, operations, patches } = await fuzzService({
      service: 'billing',
      url: h.url,
      adminDbUrl: await adminUrlOf(h.db),
      tokens,
    });
    expect(operations).toBeGreaterThan(15);
    expect(requests).toBeGreaterThan(operations * 4 * 10);
    expect(report(findings)).toBe('');
    // PATCH of one field at a time: nothing else of the resource changes.
    expect(patches.findings).toEqual([]);
  }, 400_000);
});
