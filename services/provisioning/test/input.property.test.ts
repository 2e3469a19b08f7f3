import { newId } from '@geminis/service-kit';
import fc from 'fast-check';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
} from './support/provisioning';

/** No input, however odd, gets a 5xx: every write answers a 4xx problem or succeeds. */
describe('provisioning input handling', () => {
  let h: Harness;
  let api: Client;
  let reseller: string;
  let server: string;
  let group: string;
  const A = newId();

  beforeAll(async () => {
    h = await startProvisioning();
    api = client(h.url);
    reseller = h.issuer.tokenFor('reseller', A);
    server = (await api.post('/v1/servers', cpanelServer('prop-1'), reseller)).body.id;
    group = (await api.post('/v1/server-groups', { name: 'prop' }, reseller)).body.id;
  }, 60_000);
  afterAll(() => h?.stop());

  // Values shaped like the real fields, mixed with anything at all.
  const field = fc.oneof(
    fc.anything(),
    fc.string(),
    fc.integer(),
    fc.constantFrom('cpanel', 'plesk', 'directadmin', 'whm.test', '10.0.0.1', 'https://x', ''),
  );
  const body = fc.oneof(
    fc.dictionary(
      fc.constantFrom(
        'name',
        'module',
        'hostname',
        'port',
        'tls',
        'ipAddress',
        'groupId',
        'nameservers',
        'maxAccounts',
        'enabled',
        'sortOrder',
        'credentials',
        'fillStrategy',
        'action',
        'reason',
      ),
      field,
    ),
    fc.anything(),
  );

  it('never answers a write with a 5xx', async () => {
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(reseller, admin), async (input, token) => {
        const calls: [string, string][] = [
          ['POST', '/v1/servers'],
          ['PATCH', `/v1/servers/${server}`],
          ['POST', '/v1/server-groups'],
          ['PATCH', `/v1/server-groups/${group}`],
          ['PUT', `/v1/provisioning/placements/${newId()}`],
          ['POST', `/v1/provisioning/accounts/${newId()}/actions`],
        ];
        for (const [method, path] of calls) {
          const res = await api.call(method, path, { token, body: input });
          expect([method, path, res.status < 500]).toEqual([method, path, true]);
        }
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
