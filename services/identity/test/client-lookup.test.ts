import { newId, SERVICE_KEY_HEADER } from '@geminis/service-kit';
import { seedIdentityDemo, type IdentityDemo } from '../src/service';
import { client, SERVICE_KEY, startIdentity, type Client, type Harness } from './support/identity';

/**
 * GET /internal/v1/clients/:id: our own services (the service key) learn whose client an id is — catalog
 * asks for a client whose identity.client.created.v1 it never got.
 */
describe('internal client lookup', () => {
  let h: Harness;
  let api: Client;
  let demo: IdentityDemo;

  beforeAll(async () => {
    h = await startIdentity();
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
  }, 60_000);
  afterAll(() => h.stop());

  const lookup = (id: string, key: string | null = SERVICE_KEY) =>
    api.call('GET', `/internal/v1/clients/${id}`, {
      headers: key === null ? {} : { [SERVICE_KEY_HEADER]: key },
    });

  it('answers a client’s tenant and status, for a reseller’s client and a platform client', async () => {
    const acme = await lookup(demo.resellerClient.id);
    expect(acme.status).toBe(200);
    expect(acme.body).toMatchObject({
      clientId: demo.resellerClient.id,
      tenantId: demo.reseller.tenantId,
      status: 'active',
    });
    const direct = await lookup(demo.platformClient.id);
    expect(direct.body).toMatchObject({ tenantId: demo.platformClient.tenantId });
  });

  it('answers 404 for an unknown id, a malformed id and a user who is not a client', async () => {
    for (const id of [newId(), 'not-a-uuid', demo.reseller.userId, demo.admin.id]) {
      const res = await lookup(id);
      expect([res.status, res.body.code]).toEqual([404, 'identity.client_not_found']);
    }
  });

  it('refuses a caller without the service key', async () => {
    for (const key of [null, 'wrong-key']) {
      const res = await lookup(demo.resellerClient.id, key);
      expect(res.status).toBe(401);
      expect(JSON.stringify(res.body)).not.toContain(demo.reseller.tenantId);
    }
  });
});
