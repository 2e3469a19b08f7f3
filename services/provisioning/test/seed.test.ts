import { newId } from '@geminis/service-kit';
import { startPleskStandIn, type PleskStandIn } from '../src/dev/plesk-stand-in';
import { seedProvisioningDemo, startWhmStandIn, type WhmStandIn } from '../src/service';
import { provisionRequest, runJobsUntil } from './support/jobs';
import {
  client,
  PLATFORM_TENANT_ID,
  startProvisioning,
  TEST_ENCRYPTION_KEY,
  type Harness,
} from './support/provisioning';

/** The embedded demo: seeded servers on the loopback WHM stand-in, and an order that becomes an account. */
describe('provisioning demo seed', () => {
  let whm: WhmStandIn;
  let plesk: PleskStandIn;
  let h: Harness;
  const R = newId();
  const resold = newId();
  const own = newId();

  beforeAll(async () => {
    whm = await startWhmStandIn();
    plesk = await startPleskStandIn();
    h = await startProvisioning();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await whm.close();
    await plesk.close();
  });

  it('seeds once however often it runs, and provisions both resold and own products on the demo panel', async () => {
    const options = {
      encryptionKey: TEST_ENCRYPTION_KEY,
      panel: { hostname: '127.0.0.1', port: whm.port, tls: false },
      resellerTenantId: R,
      platformProductIds: [resold],
      resellerProductIds: [own],
    };
    const first = await seedProvisioningDemo(h.db, options);
    expect(await seedProvisioningDemo(h.db, options)).toEqual(first);
    const reseller = h.issuer.tokenFor('reseller', R);
    expect((await client(h.url).get('/v1/servers', reseller)).body.items).toHaveLength(1);

    await h.deliver(
      'billing.service.provision_requested.v1',
      R,
      provisionRequest({ productId: resold, domain: 'resold.example' }),
    );
    await h.deliver(
      'billing.service.provision_requested.v1',
      R,
      provisionRequest({ productId: own, domain: 'own.example' }),
    );
    const accounts = async () =>
      (await client(h.url).get('/v1/provisioning/accounts', reseller)).body.items as any[];
    await runJobsUntil(h, async () => (await accounts()).filter((a) => a.status === 'active').length === 2);
    expect([...whm.accounts.keys()].sort()).toEqual(['own', 'resold']);
    expect(
      (
        await client(h.url).get(
          `/v1/servers/${first.platform.serverId}`,
          h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
        )
      ).status,
    ).toBe(200);
  });

  it("puts the reseller's own Plesk product on its own Plesk server: a webspace and a login URL", async () => {
    const T = newId();
    const pleskProduct = newId();
    const options = {
      encryptionKey: TEST_ENCRYPTION_KEY,
      panel: { hostname: '127.0.0.1', port: whm.port, tls: false },
      plesk: { hostname: '127.0.0.1', port: plesk.port, tls: false },
      resellerTenantId: T,
      resellerPleskProductIds: [pleskProduct],
    };
    const first = await seedProvisioningDemo(h.db, options);
    expect(await seedProvisioningDemo(h.db, options)).toEqual(first);
    const reseller = h.issuer.tokenFor('reseller', T);
    const servers = (await client(h.url).get('/v1/servers', reseller)).body.items as any[];
    expect(servers.map((s) => [s.name, s.module]).sort()).toEqual([
      ['reseller-plesk', 'plesk'],
      ['reseller-whm', 'cpanel'],
    ]);
    const placements = (await client(h.url).get('/v1/provisioning/placements', reseller)).body.items as any[];
    expect(placements.map((p) => [p.productId, p.groupId])).toEqual([
      [pleskProduct, first.resellerPlesk?.groupId],
    ]);

    const clientId = newId();
    await h.deliver(
      'billing.service.provision_requested.v1',
      T,
      provisionRequest({
        productId: pleskProduct,
        module: 'plesk',
        moduleConfig: { servicePlan: 'Business' },
        domain: 'plesk-demo.example',
        client: { clientId, email: 'ada@example.com', name: 'Ada Client' },
      }),
    );
    const accounts = async () =>
      (await client(h.url).get('/v1/provisioning/accounts', reseller)).body.items as any[];
    await runJobsUntil(h, async () => (await accounts()).some((a) => a.status === 'active'));
    const [account] = await accounts();
    const space = plesk.webspaces.get('plesk-demo.example');
    expect(space?.ownerId).toBe(plesk.customers.get(account.username)?.id);
    expect(space?.planGuid).toBe(plesk.plans.get('Business')?.guid);

    const login = await client(h.url).post(
      `/v1/provisioning/accounts/${account.id}/login-url`,
      {},
      h.issuer.tokenFor('client', T, clientId),
    );
    expect(login.status).toBe(200);
    expect((await fetch(login.body.url as string)).status).toBe(200);
  });
});
