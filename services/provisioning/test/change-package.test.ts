import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import { changeRequest, pleskChange, seedAccount, whmChange } from './support/change-package';
import { outboxEvents, runJobsUntil } from './support/jobs';
import { usePanelNock } from './support/nock';
import { daList, daOk, daUserConfig, whmFail } from './support/panel-fixtures';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';

const CHANGE = 'billing.service.change_package_requested.v1';

/** billing's change of package → a durable job per changeId → the panel's own plan change, once. */
describe('change of package', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  let resellerA: string;
  let resellerB: string;
  const servers: Record<'cpanel' | 'plesk' | 'directadmin', string> = {} as never;
  const whm = whmChange('whm-c.test', 'TOKEN-C-123456');
  usePanelNock();

  beforeAll(async () => {
    h = await startProvisioning({ config: { jobs: { maxAttempts: 3 } } });
    api = client(h.url);
    resellerA = h.issuer.tokenFor('reseller', A);
    resellerB = h.issuer.tokenFor('reseller', B);
    const bodies = {
      cpanel: cpanelServer('c-1', {
        hostname: 'whm-c.test',
        credentials: { username: 'root', apiToken: 'TOKEN-C-123456' },
      }),
      plesk: {
        ...cpanelServer('p-1'),
        module: 'plesk',
        hostname: 'plesk-c.test',
        port: 8443,
        ipAddress: '192.0.2.30',
        credentials: { secretKey: 'PLESKKEY-C-123456' },
      },
      directadmin: {
        ...cpanelServer('d-1'),
        module: 'directadmin',
        hostname: 'da-c.test',
        port: 2222,
        credentials: { username: 'admin', loginKey: 'DAKEY-C-123456' },
      },
    };
    for (const [module, body] of Object.entries(bodies)) {
      const s = await api.post('/v1/servers', body, resellerA);
      expect(s.status).toBe(201);
      servers[module as keyof typeof servers] = s.body.id;
    }
  }, 60_000);
  afterAll(() => h?.stop(), 30_000);

  const jobsOf = async (serviceId: string, token = resellerA) =>
    (await api.get(`/v1/provisioning/jobs?serviceId=${serviceId}`, token)).body.items as any[];
  const settled = (serviceId: string) => async () =>
    (await jobsOf(serviceId)).every((j) => j.status === 'done' || j.status === 'failed');
  const accountRow = (id: string) =>
    h.db.withTenant(tenantScope(A), async (tx) => {
      const [r] = await rows<{ product_id: string; package: string }>(
        tx,
        sql`select product_id, package from accounts where id = ${id}`,
      );
      return r!;
    });

  it('records a job per change without calling the panel, and applies a redelivery once', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel,
      module: 'cpanel',
      username: 'adaexamp',
      domain: 'ada-example.com',
      package: 'starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'business' });
    const eventId = newId();
    // nock refuses every panel call here: a consumer that called WHM would not ack.
    expect(await h.deliver(CHANGE, A, req, eventId)).toBe('ack');
    expect(await h.deliver(CHANGE, A, req, eventId)).toBe('ack'); // the same event redelivered
    expect(await h.deliver(CHANGE, A, req)).toBe('ack'); // the same change, sent again as a new event
    expect(await jobsOf(req.serviceId)).toEqual([
      expect.objectContaining({ action: 'change_package', status: 'pending', attempts: 0 }),
    ]);

    const look = whm.listaccts('adaexamp', 'ada-example.com', 'starter');
    const change = whm.changepackage('adaexamp', 'business');
    await runJobsUntil(h, settled(req.serviceId));
    expect(look.isDone() && change.isDone()).toBe(true);
    expect(await jobsOf(req.serviceId)).toEqual([
      expect.objectContaining({ action: 'change_package', status: 'done', attempts: 1 }),
    ]);
    expect(await accountRow(account.id)).toEqual({ product_id: req.toProductId, package: 'business' });
    // Billing and notifications hear it once, in the job's commit.
    const changed = (await outboxEvents(h, 'provisioning.service.package_changed.v1')).filter(
      (e) => (e.data as { serviceId: string }).serviceId === req.serviceId,
    );
    expect(changed.map((e) => e.data)).toEqual([
      {
        serviceId: req.serviceId,
        clientId: req.clientId,
        module: 'cpanel',
        changeId: req.changeId,
        productId: req.toProductId,
        package: 'business',
      },
    ]);

    // Delivered again after it was applied: nothing is due, nothing reaches WHM (nock would refuse it).
    expect(await h.deliver(CHANGE, A, req)).toBe('ack');
    expect(await h.running.built.services.runner.runDue()).toBe(0);
    expect(await jobsOf(req.serviceId)).toHaveLength(1);
  });

  it('runs a later change of the same service as a job of its own, after the first', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel,
      module: 'cpanel',
      username: 'twochang',
      domain: 'two-changes.com',
      package: 'starter',
    });
    const up = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'business' });
    const down = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'starter' });
    await h.deliver(CHANGE, A, up);
    await h.deliver(CHANGE, A, down);
    whm.listaccts('twochang', 'two-changes.com', 'starter');
    whm.changepackage('twochang', 'business');
    whm.listaccts('twochang', 'two-changes.com', 'business');
    const back = whm.changepackage('twochang', 'starter');
    await runJobsUntil(h, settled(account.serviceId));
    expect(back.isDone()).toBe(true);
    expect((await jobsOf(account.serviceId)).map((j) => j.status)).toEqual(['done', 'done']);
    expect((await accountRow(account.id)).package).toBe('starter');
  });

  it('makes no call when the account is already on the package (an attempt after a timeout)', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel,
      module: 'cpanel',
      username: 'already',
      domain: 'already.com',
      package: 'starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'business' });
    await h.deliver(CHANGE, A, req);
    const look = whm.listaccts('already', 'already.com', 'business');
    await runJobsUntil(h, settled(req.serviceId));
    expect(look.isDone()).toBe(true);
    expect((await jobsOf(req.serviceId))[0]).toMatchObject({ status: 'done' });
    expect((await accountRow(account.id)).package).toBe('business');
  });

  it('switches a Plesk subscription to the service plan', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.plesk,
      module: 'plesk',
      username: 'pleskusr',
      domain: 'plesk-user.com',
      package: 'Starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'plesk', { servicePlan: 'Business' });
    await h.deliver(CHANGE, A, req);
    const scope = pleskChange('plesk-c.test', 'PLESKKEY-C-123456', 'pleskusr', 'plesk-user.com', 'Business');
    await runJobsUntil(h, settled(req.serviceId));
    expect(scope.isDone()).toBe(true);
    expect((await jobsOf(req.serviceId))[0]).toMatchObject({ status: 'done', lastError: null });
  });

  it('makes no switch when the Plesk subscription is already on the service plan', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.plesk,
      module: 'plesk',
      username: 'pleskon',
      domain: 'plesk-on.com',
      package: 'Starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'plesk', { servicePlan: 'Business' });
    await h.deliver(CHANGE, A, req);
    // Only the reads: a switch would find no interceptor, and the job would not be done on its first attempt.
    const scope = pleskChange(
      'plesk-c.test',
      'PLESKKEY-C-123456',
      'pleskon',
      'plesk-on.com',
      'Business',
      'Business',
    );
    await runJobsUntil(h, settled(req.serviceId));
    expect(scope.isDone()).toBe(true);
    expect((await jobsOf(req.serviceId))[0]).toMatchObject({ status: 'done', attempts: 1, lastError: null });
    expect((await accountRow(account.id)).package).toBe('Business');
  });

  it('modifies a DirectAdmin user package', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.directadmin,
      module: 'directadmin',
      username: 'dauser',
      domain: 'da-user.com',
      package: 'basic',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'directadmin', { package: 'pro' });
    await h.deliver(CHANGE, A, req);
    const auth = `Basic ${Buffer.from('admin:DAKEY-C-123456').toString('base64')}`;
    const scope = nock('https://da-c.test:2222', { reqheaders: { authorization: auth } })
      .get('/CMD_API_SHOW_USERS')
      .reply(200, daList(['other', 'dauser']))
      .get('/CMD_API_SHOW_USER_CONFIG')
      .query({ user: 'dauser' })
      .reply(200, daUserConfig('da-user.com', false, 'basic'))
      .post('/CMD_API_MODIFY_USER', { action: 'package', user: 'dauser', package: 'pro' })
      .reply(200, daOk('User Modified'));
    await runJobsUntil(h, settled(req.serviceId));
    expect(scope.isDone()).toBe(true);
    expect((await accountRow(account.id)).package).toBe('pro');
  });

  it('retries a panel that is down, then fails the job visibly; staff retry it once the panel is back', async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel,
      module: 'cpanel',
      username: 'downpanl',
      domain: 'down-panel.com',
      package: 'starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'business' });
    await h.deliver(CHANGE, A, req);
    whm.down(3);
    await runJobsUntil(h, settled(req.serviceId));
    const [failed] = await jobsOf(req.serviceId);
    expect(failed).toMatchObject({ action: 'change_package', status: 'failed', attempts: 3 });
    expect(failed.lastError).toMatch(/HTTP 503|unavailable|breaker/i);
    expect((await accountRow(account.id)).package).toBe('starter');

    // The panel's back: staff retry it by hand.
    nock.cleanAll();
    const retried = await api.post(`/v1/provisioning/jobs/${failed.id}/retry`, {}, resellerA);
    expect(retried.status).toBe(202);
    whm.listaccts('downpanl', 'down-panel.com', 'starter');
    const change = whm.changepackage('downpanl', 'business');
    await runJobsUntil(h, settled(req.serviceId));
    expect(change.isDone()).toBe(true);
    expect((await accountRow(account.id)).package).toBe('business');
  });

  it("fails at once, visibly, on the panel's refusal (an unknown package)", async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel,
      module: 'cpanel',
      username: 'badpkg',
      domain: 'bad-package.com',
      package: 'starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'nosuch' });
    await h.deliver(CHANGE, A, req);
    whm.listaccts('badpkg', 'bad-package.com', 'starter');
    nock('https://whm-c.test:2087')
      .get('/json-api/changepackage')
      .query(true)
      .reply(200, whmFail('changepackage', 'Sorry, "nosuch" is not a valid pacakge name'));
    await runJobsUntil(h, settled(req.serviceId));
    expect((await jobsOf(req.serviceId))[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: 'WHM changepackage: Sorry, "nosuch" is not a valid pacakge name',
    });
  });

  it("keeps tenants apart: B's request never reaches A's account, B never sees A's job", async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel,
      module: 'cpanel',
      username: 'isolated',
      domain: 'isolated.com',
      package: 'starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'business' });
    // Under B's tenant, A's service is no service of B's: the job fails without a panel call.
    await h.deliver(CHANGE, B, req);
    await runJobsUntil(h, async () =>
      (await jobsOf(req.serviceId, resellerB)).every((j) => j.status === 'failed'),
    );
    const [bJob] = await jobsOf(req.serviceId, resellerB);
    expect(bJob).toMatchObject({
      tenantId: B,
      lastError: 'this service has no provisioned account to change',
    });
    expect(await jobsOf(req.serviceId)).toEqual([]);
    expect((await accountRow(account.id)).package).toBe('starter');

    await h.deliver(CHANGE, A, req);
    whm.listaccts('isolated', 'isolated.com', 'starter');
    whm.changepackage('isolated', 'business');
    await runJobsUntil(h, settled(req.serviceId));
    const [aJob] = await jobsOf(req.serviceId);
    const other = await api.get(`/v1/provisioning/jobs/${aJob.id}`, resellerB);
    const missing = await api.get(`/v1/provisioning/jobs/${newId()}`, resellerB);
    expect(other.status).toBe(404);
    const { requestId: _a, ...otherBody } = other.body;
    const { requestId: _b, ...missingBody } = missing.body;
    expect(otherBody).toEqual(missingBody);
    expect((await api.post(`/v1/provisioning/jobs/${aJob.id}/retry`, {}, resellerB)).status).toBe(404);
  });
});
