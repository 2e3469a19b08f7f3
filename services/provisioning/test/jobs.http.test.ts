import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { outboxEvents, provisionRequest, runJobsUntil } from './support/jobs';
import { usePanelNock } from './support/nock';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
} from './support/provisioning';
import { whmNock } from './support/whm-nock';

const PROVISION = 'billing.service.provision_requested.v1';

/** Jobs, accounts, credentials and placements over HTTP: who sees and changes what. */
describe('jobs and accounts over HTTP', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  const clientA1 = newId();
  const clientA2 = newId();
  const t = {} as Record<'admin' | 'resellerA' | 'resellerB' | 'clientA1' | 'clientA2' | 'clientB', string>;
  const whmA = whmNock('whm-a.test', 'TOKEN-A-123456');
  const whmP = whmNock('whm-p.test', 'TOKEN-P-123456');
  let account: any;
  let job: any;
  let platformServer: string;
  usePanelNock();

  const allSettled = async () => {
    const jobs = (await api.get('/v1/provisioning/jobs', t.admin)).body.items as any[];
    return jobs.every((j) => j.status === 'done' || j.status === 'failed');
  };

  beforeAll(async () => {
    // Only the stores' own tenant filters stand between tenants here (store.rls.test covers RLS).
    h = await startProvisioning({ firstWallOnly: true });
    api = client(h.url);
    t.admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    t.resellerA = h.issuer.tokenFor('reseller', A);
    t.resellerB = h.issuer.tokenFor('reseller', B);
    t.clientA1 = h.issuer.tokenFor('client', A, clientA1);
    t.clientA2 = h.issuer.tokenFor('client', A, clientA2);
    t.clientB = h.issuer.tokenFor('client', B);
    const creds = (token: string) => ({ credentials: { username: 'root', apiToken: token } });
    expect(
      (
        await api.post(
          '/v1/servers',
          cpanelServer('a-1', { hostname: 'whm-a.test', ...creds('TOKEN-A-123456') }),
          t.resellerA,
        )
      ).status,
    ).toBe(201);
    const p = await api.post(
      '/v1/servers',
      cpanelServer('p-1', { hostname: 'whm-p.test', ...creds('TOKEN-P-123456') }),
      t.admin,
    );
    platformServer = p.body.id;

    const req = provisionRequest({
      domain: 'alpha.example',
      client: { clientId: clientA1, email: 'a1@example.com', name: 'A1' },
    });
    whmA.listaccts('alpha');
    whmA.createacct();
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, allSettled);
    account = (await api.get('/v1/provisioning/accounts', t.resellerA)).body.items[0];
    job = (await api.get('/v1/provisioning/jobs', t.resellerA)).body.items[0];
    expect(account).toMatchObject({ status: 'active', clientId: clientA1, host: 'whm-a.test' });
  }, 60_000);
  afterAll(() => h?.stop());

  describe('cross-tenant matrix', () => {
    const calls = (accountId: string, jobId: string): [string, string, unknown][] => [
      ['GET', `/v1/provisioning/accounts/${accountId}`, undefined],
      ['GET', `/v1/provisioning/accounts/${accountId}/credentials`, undefined],
      ['POST', `/v1/provisioning/accounts/${accountId}/login-url`, {}],
      ['POST', `/v1/provisioning/accounts/${accountId}/actions`, { action: 'suspend' }],
      ['GET', `/v1/provisioning/jobs/${jobId}`, undefined],
      ['POST', `/v1/provisioning/jobs/${jobId}/retry`, {}],
    ];

    it("answers reseller B on A's accounts and jobs exactly like missing ones, and changes nothing", async () => {
      const missing = calls(newId(), newId());
      for (const [i, [method, path, body]] of calls(account.id, job.id).entries()) {
        const theirs = await api.call(method, path, { token: t.resellerB, ...(body ? { body } : {}) });
        const [, missingPath] = missing[i]!;
        const none = await api.call(method, missingPath, { token: t.resellerB, ...(body ? { body } : {}) });
        expect([method, path, theirs.status]).toEqual([method, path, 404]);
        expect([theirs.body.code, theirs.body.detail]).toEqual([none.body.code, none.body.detail]);
      }
      expect((await api.get('/v1/provisioning/accounts', t.resellerB)).body.items).toEqual([]);
      expect((await api.get('/v1/provisioning/jobs', t.resellerB)).body.items).toEqual([]);
      expect((await api.get(`/v1/provisioning/jobs?tenantId=${A}`, t.resellerB)).body.items).toEqual([]);
      expect(
        (await api.get(`/v1/provisioning/jobs?serviceId=${account.serviceId}`, t.resellerA)).body.items,
      ).toHaveLength(1);
    });

    it("never shows a client another client's account or password, even in its own tenant", async () => {
      for (const token of [t.clientA2, t.clientB]) {
        expect((await api.get(`/v1/provisioning/accounts/${account.id}`, token)).status).toBe(404);
        expect((await api.get(`/v1/provisioning/accounts/${account.id}/credentials`, token)).status).toBe(
          404,
        );
        expect((await api.get('/v1/provisioning/accounts', token)).body.items).toEqual([]);
      }
      const own = await api.get('/v1/provisioning/accounts', t.clientA1);
      expect(own.body.items.map((a: any) => a.id)).toEqual([account.id]);
      expect(
        (await api.get(`/v1/provisioning/accounts/${account.id}/credentials`, t.clientA1)).body.username,
      ).toBe('alpha');
    });

    it('keeps clients off staff routes: jobs, manual actions, servers', async () => {
      for (const [method, path, body] of [
        ['GET', '/v1/provisioning/jobs', undefined],
        ['GET', `/v1/provisioning/jobs/${job.id}`, undefined],
        ['POST', `/v1/provisioning/jobs/${job.id}/retry`, {}],
        ['POST', `/v1/provisioning/accounts/${account.id}/actions`, { action: 'suspend' }],
        ['GET', '/v1/provisioning/placements', undefined],
      ] as const)
        expect((await api.call(method, path, { token: t.clientA1, ...(body ? { body } : {}) })).status).toBe(
          403,
        );
    });

    it('lets the admin see every tenant and narrow to one', async () => {
      expect(
        (await api.get('/v1/provisioning/accounts', t.admin)).body.items.map((a: any) => a.id),
      ).toContain(account.id);
      expect((await api.get(`/v1/provisioning/accounts?tenantId=${B}`, t.admin)).body.items).toEqual([]);
      expect((await api.get(`/v1/provisioning/accounts/${account.id}`, t.admin)).status).toBe(200);
    });
  });

  describe('single sign-on', () => {
    const session = () =>
      nock('https://whm-a.test:2087', { reqheaders: { authorization: 'whm root:TOKEN-A-123456' } })
        .get('/json-api/create_user_session')
        .query({ 'api.version': '1', user: 'alpha', service: 'cpaneld' });

    it('gives the client a one-time cPanel login URL from WHM create_user_session', async () => {
      const url = 'https://whm-a.test:2083/cpsess7654321/login/?session=alpha%3aAbCd%2c0123';
      session().reply(200, {
        metadata: { command: 'create_user_session', version: 1, result: 1, reason: 'OK' },
        data: { url, session: 'alpha:AbCd,0123', expires: 1800000000, service: 'cpaneld' },
      });
      const res = await api.post(`/v1/provisioning/accounts/${account.id}/login-url`, {}, t.clientA1);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ url });
      expect(res.headers.get('cache-control')).toBe('no-store');
    });

    it('answers 503 when WHM is down and 502 when it refuses, never a URL', async () => {
      session().reply(503, 'down');
      const down = await api.post(`/v1/provisioning/accounts/${account.id}/login-url`, {}, t.clientA1);
      expect([down.status, down.body.code]).toEqual([503, 'provisioning.panel_unavailable']);
      session().reply(200, {
        metadata: {
          command: 'create_user_session',
          version: 1,
          result: 0,
          reason: 'The user “alpha” does not exist.',
        },
      });
      const refused = await api.post(`/v1/provisioning/accounts/${account.id}/login-url`, {}, t.clientA1);
      expect([refused.status, refused.body.code]).toEqual([502, 'provisioning.panel_refused']);
      expect(JSON.stringify(refused.body)).not.toContain('TOKEN');
    });
  });

  describe('manual actions', () => {
    it('refuses an unknown action with a 400 naming it, and records no job', async () => {
      const before = (await api.get('/v1/provisioning/jobs', t.resellerA)).body.items.length;
      const res = await api.post(
        `/v1/provisioning/accounts/${account.id}/actions`,
        { action: 'reboot' },
        t.resellerA,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: any) => e.field)).toEqual(['action']);
      expect((await api.get('/v1/provisioning/jobs', t.resellerA)).body.items).toHaveLength(before);
    });

    it('suspends an account by hand through a job, and publishes the result', async () => {
      const res = await api.post(
        `/v1/provisioning/accounts/${account.id}/actions`,
        { action: 'suspend', reason: 'abuse report' },
        t.resellerA,
      );
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ action: 'suspend', status: 'pending', serviceId: account.serviceId });
      whmA.listaccts('alpha', { domain: 'alpha.example' });
      whmA.call('suspendacct', { user: 'alpha', reason: 'abuse report' });
      await runJobsUntil(h, allSettled);
      expect((await api.get(`/v1/provisioning/accounts/${account.id}`, t.clientA1)).body.status).toBe(
        'suspended',
      );
      const ev = await outboxEvents(h, 'provisioning.service.suspended.v1');
      expect(ev.map((e) => e.data.serviceId)).toEqual([account.serviceId]);
      expect(ev[0]!.causationId).toBeUndefined(); // started by staff, not caused by an event
    });
  });

  describe('placements', () => {
    it("places a product in the tenant's group: fill in order, then the next server when the first is full", async () => {
      const g = await api.post(
        '/v1/server-groups',
        { name: 'ordered', fillStrategy: 'fill_in_order' },
        t.resellerB,
      );
      const body = (name: string, host: string, extra = {}) =>
        cpanelServer(name, {
          hostname: host,
          groupId: g.body.id,
          credentials: { username: 'root', apiToken: 'TOKEN-B-123456' },
          ...extra,
        });
      const first = await api.post(
        '/v1/servers',
        body('b-first', 'whm-b1.test', { maxAccounts: 1, sortOrder: 1 }),
        t.resellerB,
      );
      await api.post('/v1/servers', body('b-second', 'whm-b2.test', { sortOrder: 2 }), t.resellerB);
      await api.post('/v1/servers', cpanelServer('b-ungrouped', { hostname: 'whm-b3.test' }), t.resellerB);
      const productId = newId();
      const placed = await api.put(
        `/v1/provisioning/placements/${productId}`,
        { groupId: g.body.id },
        t.resellerB,
      );
      expect(placed.status).toBe(200);

      const b1 = whmNock('whm-b1.test', 'TOKEN-B-123456');
      const b2 = whmNock('whm-b2.test', 'TOKEN-B-123456');
      b1.listaccts('one');
      b1.createacct();
      b2.listaccts('two');
      b2.createacct();
      await h.deliver(PROVISION, B, provisionRequest({ productId, domain: 'one.example' }));
      await runJobsUntil(h, allSettled);
      await h.deliver(PROVISION, B, provisionRequest({ productId, domain: 'two.example' }));
      await runJobsUntil(h, allSettled);
      const hosts = (await api.get('/v1/provisioning/accounts', t.resellerB)).body.items
        .map((a: any) => a.host)
        .sort();
      expect(hosts).toEqual(['whm-b1.test', 'whm-b2.test']);
      expect((await api.get(`/v1/servers/${first.body.id}`, t.resellerB)).body.accounts).toBe(1);
    });

    it("puts a reseller's client of a resold platform product on the platform's group, without showing the server", async () => {
      const g = await api.post('/v1/server-groups', { name: 'shared' }, t.admin);
      await api.patch(`/v1/servers/${platformServer}`, { groupId: g.body.id }, t.admin);
      const productId = newId();
      expect(
        (await api.put(`/v1/provisioning/placements/${productId}`, { groupId: g.body.id }, t.admin)).status,
      ).toBe(200);
      whmP.listaccts('resold');
      whmP.createacct();
      const req = provisionRequest({
        productId,
        domain: 'resold.example',
        client: { clientId: clientA2, email: 'a2@example.com', name: 'A2' },
      });
      await h.deliver(PROVISION, A, req);
      await runJobsUntil(h, allSettled);
      const mine = (await api.get('/v1/provisioning/accounts', t.clientA2)).body.items;
      expect(mine).toEqual([expect.objectContaining({ host: 'whm-p.test', status: 'active', tenantId: A })]);
      expect(JSON.stringify(mine)).not.toContain(platformServer);
      expect((await api.get(`/v1/servers/${platformServer}`, t.resellerA)).status).toBe(404);
      expect((await api.get(`/v1/servers/${platformServer}`, t.admin)).body.accounts).toBe(1);
    });

    it("refuses to place a product in another tenant's group, naming groupId, and writes nothing", async () => {
      const g = await api.post('/v1/server-groups', { name: 'a-group' }, t.resellerA);
      const res = await api.put(
        `/v1/provisioning/placements/${newId()}`,
        { groupId: g.body.id },
        t.resellerB,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'groupId', message: 'no such server group' }]);
      const bad = await api.put(`/v1/provisioning/placements/${newId()}`, { groupId: 'nope' }, t.resellerB);
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: any) => e.field)).toEqual(['groupId']);
      const listed = (await api.get('/v1/provisioning/placements', t.resellerB)).body.items;
      // A group a product is placed in cannot go (nor can one with servers): 409, never a 500.
      const emptyGroup = await api.post('/v1/server-groups', { name: 'placed-only' }, t.resellerB);
      await api.put(`/v1/provisioning/placements/${newId()}`, { groupId: emptyGroup.body.id }, t.resellerB);
      expect((await api.del(`/v1/server-groups/${emptyGroup.body.id}`, t.resellerB)).status).toBe(409);
      expect(listed.every((p: any) => p.tenantId === B && p.groupId !== g.body.id)).toBe(true);
      const theirs = await api.del(`/v1/provisioning/placements/${listed[0].productId}`, t.resellerA);
      const missing = await api.del(`/v1/provisioning/placements/${newId()}`, t.resellerA);
      expect([theirs.status, theirs.body.code]).toEqual([404, missing.body.code]);
      const after = (await api.get('/v1/provisioning/placements', t.resellerB)).body.items;
      expect(after.map((p: any) => p.productId)).toContain(listed[0].productId);
    });
  });
});
