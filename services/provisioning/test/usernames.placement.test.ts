import { newId } from '@geminis/service-kit';
import { usernameCandidate } from '../src/domain/usernames';
import { seedAccount } from './support/change-package';
import { provisionRequest, runJobsUntil } from './support/jobs';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';
import { startWhmStandIn, type WhmStandIn } from './support/whm-stand-in';

/** A common domain prefix on a full server: the collision strategy goes past a hundred names. */
describe('user names on a server with many accounts of the same prefix', () => {
  let whm: WhmStandIn;
  let h: Harness;
  let api: Client;
  const A = newId();

  beforeAll(async () => {
    whm = await startWhmStandIn();
    h = await startProvisioning();
    api = client(h.url);
    const s = await api.post(
      '/v1/servers',
      cpanelServer('names-1', { hostname: '127.0.0.1', port: whm.port, tls: false, maxAccounts: 1000 }),
      h.issuer.tokenFor('reseller', A),
    );
    expect(s.status).toBe(201);
    for (let n = 0; n < 130; n++)
      await seedAccount(h, A, {
        serverId: s.body.id,
        module: 'cpanel',
        username: usernameCandidate('shop', n),
        domain: `shop-${n}.example`,
        package: 'starter',
      });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await whm?.close();
  });

  it('places the 131st "shop" account as shop130 with one read of the names, and creates it', async () => {
    const req = provisionRequest({ domain: 'shop.example' });
    await h.deliver('billing.service.provision_requested.v1', A, req);
    const accountOf = async () =>
      (
        (await api.get('/v1/provisioning/accounts', h.issuer.tokenFor('reseller', A))).body.items as any[]
      ).find((a) => a.serviceId === req.serviceId);
    await runJobsUntil(h, async () => (await accountOf())?.status === 'active');
    expect((await accountOf()).username).toBe('shop130');
    expect(whm.accounts.get('shop130')?.domain).toBe('shop.example');
  });
});
