import { randomBytes } from 'node:crypto';
import { PROVISIONING_INTERNAL } from '@geminis/contracts';
import { newId, SERVICE_KEY_HEADER } from '@geminis/service-kit';
import { provisionRequest, runJobsUntil } from './support/jobs';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';
import { startWhmStandIn, type WhmStandIn } from './support/whm-stand-in';

const PROVISION = 'billing.service.provision_requested.v1';

/** Notifications read a new account's panel login through a service-key route, never through an event. */
describe('internal: the panel login of a client service, for our own services', () => {
  let whm: WhmStandIn;
  let h: Harness;
  let api: Client;
  const key = randomBytes(32).toString('base64url');
  const A = newId();
  const B = newId();

  beforeAll(async () => {
    whm = await startWhmStandIn();
    h = await startProvisioning({ serviceKey: key });
    api = client(h.url);
    const s = await api.post(
      '/v1/servers',
      cpanelServer('int-1', { hostname: '127.0.0.1', port: whm.port, tls: false }),
      h.issuer.tokenFor('reseller', A),
    );
    expect(s.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await whm?.close();
  });

  const read = (
    tenantId: string,
    serviceId: string,
    headers: Record<string, string> = { [SERVICE_KEY_HEADER]: key },
  ) => api.call('GET', PROVISIONING_INTERNAL.serviceCredentials(tenantId, serviceId), { headers });
  const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });

  it('answers the sealed password opened, to the service key only, and nobody else', async () => {
    const req = provisionRequest({ domain: 'welcome.example' });
    await h.deliver(PROVISION, A, req);
    expect((await read(A, req.serviceId)).status).toBe(404); // recorded, not created yet
    await runJobsUntil(h, async () => (await read(A, req.serviceId)).status === 200);

    const res = await read(A, req.serviceId);
    expect(res.body).toEqual({ username: 'welcome', password: expect.any(String), host: '127.0.0.1' });
    expect((res.body as { password: string }).password).toHaveLength(20);
    expect(res.headers.get('cache-control')).toBe('no-store');

    // Without the key, with another key, or with a user's token instead: refused.
    for (const headers of [
      {} as Record<string, string>,
      { [SERVICE_KEY_HEADER]: randomBytes(32).toString('base64url') },
      { authorization: `Bearer ${h.issuer.tokenFor('client', A, req.client.clientId)}` },
    ]) {
      const refused = await read(A, req.serviceId, headers);
      expect([401, 403]).toContain(refused.status);
      expect(JSON.stringify(refused.body)).not.toContain((res.body as { password: string }).password);
    }

    // Another tenant's id, or a service that does not exist: the same 404.
    const missing = await read(A, newId());
    const foreign = await read(B, req.serviceId);
    expect(missing.status).toBe(404);
    expect([foreign.status, strip(foreign.body as Record<string, unknown>)]).toEqual([
      missing.status,
      strip(missing.body as Record<string, unknown>),
    ]);
    expect((await read(A, 'not-an-id')).status).toBe(404);
  });
});
