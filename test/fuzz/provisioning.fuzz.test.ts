import { newId } from '@geminis/service-kit';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Harness,
} from '../../services/provisioning/test/support/provisioning';
import { fuzzService, report } from './support/engine';

describe('provisioning under generated hostile requests', () => {
  let h: Harness;
  let tokens: { admin: string; reseller: string; client: string };

  beforeAll(async () => {
    // No nock here: its interception of this process's own requests stalls on a lying Content-Encoding.
    // The server's panel host is a reserved .test name, which resolves nowhere.
    h = await startProvisioning();
    const tenant = newId();
    tokens = {
      admin: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
      reseller: h.issuer.tokenFor('reseller', tenant),
      client: h.issuer.tokenFor('client', tenant),
    };
    const created = await client(h.url).post('/v1/servers', cpanelServer('fuzz-1'), tokens.reseller);
    expect(created.status).toBe(201);
  }, 60_000);
  afterAll(() => h.stop());

  it('answers every operation, as every role, never 5xx; a refusal is problem+json and writes nothing', async () => {
    const { findings, requests, operations, patches } = await fuzzService({
      service: 'provisioning',
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
