import { newId } from '@geminis/service-kit';
import {
  client,
  dept,
  PLATFORM_TENANT_ID,
  startSupport,
  type Harness,
} from '../../services/support/test/support/support';
import { fuzzService, report } from './support/engine';

describe('support under generated hostile requests', () => {
  let h: Harness;
  let tokens: { admin: string; reseller: string; client: string };

  beforeAll(async () => {
    h = await startSupport();
    const tenant = newId();
    tokens = {
      admin: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
      reseller: h.issuer.tokenFor('reseller', tenant),
      client: h.issuer.tokenFor('client', tenant),
    };
    const d = await client(h.url).post('/v1/support/departments', dept('Sales'), tokens.reseller);
    expect(d.status).toBe(201);
  }, 60_000);
  afterAll(() => h.stop());

  it('answers every operation, as every role, never 5xx; a refusal is problem+json and writes nothing', async () => {
    const { findings, requests, operations, patches } = await fuzzService({
      service: 'support',
      url: h.url,
      adminDbUrl: h.testDb.adminUrl,
      tokens,
    });
    expect(operations).toBeGreaterThan(15);
    expect(requests).toBeGreaterThan(operations * 4 * 10);
    expect(report(findings)).toBe('');
    // PATCH of one field at a time: nothing else of the resource changes.
    expect(patches.findings).toEqual([]);
  }, 400_000);
});
