import { newId } from '@geminis/service-kit';
import { provisionRequest, runJobsUntil } from './support/jobs';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
} from './support/provisioning';
import { startWhmStandIn, type WhmStandIn } from './support/whm-stand-in';

const PROVISION = 'billing.service.provision_requested.v1';

/**
 * White-label (issue 12): a reseller's client orders a resold product under the reseller's alias of it
 * (productId), and billing adds the platform's id (platformProductId). The platform places its products by
 * its own ids, so the account goes to the platform's placement of platformProductId; a reseller's own
 * placement of the product (by either id) comes first; without platformProductId, productId is used.
 */
describe('placement of a resold product known by its alias', () => {
  let whmPlatform: WhmStandIn;
  let whmReseller: WhmStandIn;
  let h: Harness;
  let api: Client;
  const A = newId();
  const t = {} as Record<'admin' | 'reseller', string>;
  let platformGroup: string;
  let resellerGroup: string;

  beforeAll(async () => {
    whmPlatform = await startWhmStandIn();
    whmReseller = await startWhmStandIn();
    h = await startProvisioning();
    api = client(h.url);
    t.admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    t.reseller = h.issuer.tokenFor('reseller', A);
    platformGroup = (await api.post('/v1/server-groups', { name: 'platform shared' }, t.admin)).body.id;
    resellerGroup = (await api.post('/v1/server-groups', { name: 'reseller own' }, t.reseller)).body.id;
    const server = (name: string, port: number, groupId: string) =>
      cpanelServer(name, { hostname: '127.0.0.1', port, tls: false, groupId });
    expect(
      (await api.post('/v1/servers', server('platform-1', whmPlatform.port, platformGroup), t.admin)).status,
    ).toBe(201);
    // The reseller's own server: where an account goes when no placement is found (the wrong place here).
    expect(
      (await api.post('/v1/servers', server('reseller-1', whmReseller.port, resellerGroup), t.reseller))
        .status,
    ).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await whmPlatform?.close();
    await whmReseller?.close();
  });

  const place = async (token: string, productId: string, groupId: string) =>
    expect((await api.put(`/v1/provisioning/placements/${productId}`, { groupId }, token)).status).toBe(200);

  /** Provisions one account of `req` for A's client; answers the panel it went to. */
  async function provision(over: Record<string, unknown>, domain: string) {
    const req = provisionRequest({ ...over, domain });
    await h.deliver(PROVISION, A, req);
    const accountOf = async () =>
      ((await api.get('/v1/provisioning/accounts', t.reseller)).body.items as any[]).find(
        (a) => a.serviceId === req.serviceId,
      );
    await runJobsUntil(h, async () => ['active', 'failed'].includes((await accountOf())?.status));
    expect((await accountOf()).status).toBe('active');
    const on = (whm: WhmStandIn) => [...whm.accounts.values()].some((a) => a.domain === domain);
    return on(whmPlatform) ? 'platform' : on(whmReseller) ? 'reseller' : 'none';
  }

  it('puts the alias of a resold product on the platform’s placement of its platform id', async () => {
    const platformId = newId();
    await place(t.admin, platformId, platformGroup);
    expect(await provision({ productId: newId(), platformProductId: platformId }, 'alias-one.example')).toBe(
      'platform',
    );
  });

  it('ignores a platform placement of the alias itself (an alias means nothing in the platform’s tenant)', async () => {
    const alias = newId();
    await place(t.admin, alias, platformGroup);
    expect(await provision({ productId: alias, platformProductId: newId() }, 'alias-two.example')).toBe(
      'reseller',
    );
  });

  it('prefers the reseller’s own placement, by the alias or by the platform id', async () => {
    for (const [n, own] of ['alias', 'platform'].entries()) {
      const alias = newId();
      const platformId = newId();
      await place(t.admin, platformId, platformGroup);
      await place(t.reseller, own === 'alias' ? alias : platformId, resellerGroup);
      expect(await provision({ productId: alias, platformProductId: platformId }, `own-${n}.example`)).toBe(
        'reseller',
      );
    }
  });

  it('still places an event without platformProductId by its productId (events from before aliases)', async () => {
    const platformId = newId();
    await place(t.admin, platformId, platformGroup);
    expect(await provision({ productId: platformId }, 'older-event.example')).toBe('platform');
  });
});
