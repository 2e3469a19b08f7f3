import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import { usePanelNock } from './support/nock';
import { createCipher } from '../src/domain/crypto';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  TEST_ENCRYPTION_KEY,
  type Client,
  type Harness,
} from './support/provisioning';

/** Servers and server groups over HTTP: the cross-tenant matrix, sealed credentials, bad input. */
describe('servers over HTTP', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  const t = {} as Record<'admin' | 'resellerA' | 'resellerB' | 'clientA', string>;
  let aServer: string;
  let platformServer: string;
  let aGroup: string;
  usePanelNock();

  beforeAll(async () => {
    // Only the stores' own tenant filters stand between tenants here (store.rls.test covers RLS).
    h = await startProvisioning({ firstWallOnly: true });
    api = client(h.url);
    t.admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    t.resellerA = h.issuer.tokenFor('reseller', A);
    t.resellerB = h.issuer.tokenFor('reseller', B);
    t.clientA = h.issuer.tokenFor('client', A);
    const g = await api.post(
      '/v1/server-groups',
      { name: 'Acme EU', fillStrategy: 'fill_in_order' },
      t.resellerA,
    );
    expect(g.status).toBe(201);
    aGroup = g.body.id;
    const s = await api.post('/v1/servers', cpanelServer('acme-1', { groupId: aGroup }), t.resellerA);
    expect(s.status).toBe(201);
    aServer = s.body.id;
    const p = await api.post(
      '/v1/servers',
      cpanelServer('platform-1', { hostname: 'whm.platform.test' }),
      t.admin,
    );
    expect(p.status).toBe(201);
    platformServer = p.body.id;
  }, 60_000);
  afterAll(() => h?.stop());

  describe('credentials', () => {
    it('answers a new server without its credentials, with its defaults and its account count', async () => {
      const res = await api.get(`/v1/servers/${aServer}`, t.resellerA);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        tenantId: A,
        groupId: aGroup,
        module: 'cpanel',
        hostname: 'whm.test',
        port: 2087,
        tls: true,
        maxAccounts: 100,
        accounts: 0,
        enabled: true,
      });
      expect(JSON.stringify(res.body)).not.toContain('TOKEN');
      expect(res.body).not.toHaveProperty('credentials');
    });

    it('stores the credentials sealed with AES-256-GCM, not in clear', async () => {
      const [row] = await h.db.withTenant(tenantScope(A), (tx) =>
        rows<{ credentials: string }>(tx, sql`select credentials from servers where id = ${aServer}`),
      );
      expect(row!.credentials).toMatch(/^v1\./);
      expect(row!.credentials).not.toContain('TOKEN');
      const opened = createCipher(TEST_ENCRYPTION_KEY).open('server-credentials', row!.credentials);
      expect(JSON.parse(opened)).toEqual({ username: 'root', apiToken: 'TOKEN-acme1-SECRET' });
    });

    it('replaces credentials on PATCH after checking them against the server module', async () => {
      const bad = await api.patch(
        `/v1/servers/${aServer}`,
        { credentials: { secretKey: 'x'.repeat(20) } },
        t.resellerA,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: any) => e.field)).toEqual(
        expect.arrayContaining(['credentials.username']),
      );
      const ok = await api.patch(
        `/v1/servers/${aServer}`,
        { credentials: { username: 'reseller1', apiToken: 'NEWTOKEN-123456' } },
        t.resellerA,
      );
      expect(ok.status).toBe(200);
      expect(JSON.stringify(ok.body)).not.toContain('NEWTOKEN');
    });
  });

  describe('cross-tenant matrix', () => {
    const serverCalls = (id: string): [string, string, unknown][] => [
      ['GET', `/v1/servers/${id}`, undefined],
      ['PATCH', `/v1/servers/${id}`, { name: 'Hijacked' }],
      ['DELETE', `/v1/servers/${id}`, undefined],
      ['POST', `/v1/servers/${id}/test-connection`, {}],
    ];
    const groupCalls = (id: string): [string, string, unknown][] => [
      ['GET', `/v1/server-groups/${id}`, undefined],
      ['PATCH', `/v1/server-groups/${id}`, { name: 'Hijacked' }],
      ['DELETE', `/v1/server-groups/${id}`, undefined],
    ];

    it("answers reseller B on A's server and group exactly like a missing one, and changes nothing", async () => {
      const missing = newId();
      for (const [[method, path, body], [, missingPath]] of [
        ...serverCalls(aServer).map((c, i) => [c, serverCalls(missing)[i]!] as const),
        ...groupCalls(aGroup).map((c, i) => [c, groupCalls(missing)[i]!] as const),
      ]) {
        const theirs = await api.call(method, path, { token: t.resellerB, ...(body ? { body } : {}) });
        const none = await api.call(method, missingPath, { token: t.resellerB, ...(body ? { body } : {}) });
        expect([method, path, theirs.status]).toEqual([method, path, 404]);
        expect(theirs.body.code).toBe(none.body.code);
        expect(theirs.body.detail).toBe(none.body.detail);
      }
      const still = await api.get(`/v1/servers/${aServer}`, t.resellerA);
      expect(still.body.name).toBe('acme-1');
      expect((await api.get(`/v1/server-groups/${aGroup}`, t.resellerA)).body.name).toBe('Acme EU');
    });

    it("never shows a reseller the platform's servers", async () => {
      expect((await api.get(`/v1/servers/${platformServer}`, t.resellerA)).status).toBe(404);
      const list = await api.get('/v1/servers', t.resellerA);
      expect(list.body.items.map((s: any) => s.id)).toEqual([aServer]);
      expect((await api.get('/v1/servers', t.resellerB)).body.items).toEqual([]);
      expect((await api.get('/v1/server-groups', t.resellerB)).body.items).toEqual([]);
    });

    it('ignores a reseller asking for another tenant with ?tenantId=', async () => {
      const list = await api.get(`/v1/servers?tenantId=${A}`, t.resellerB);
      expect(list.body.items).toEqual([]);
    });

    it('refuses clients every server route', async () => {
      for (const [method, path, body] of [
        ...serverCalls(aServer),
        ['GET', '/v1/servers', undefined] as const,
      ])
        expect((await api.call(method, path, { token: t.clientA, ...(body ? { body } : {}) })).status).toBe(
          403,
        );
    });

    it("lets the admin change a reseller's server only by naming its tenant", async () => {
      expect((await api.patch(`/v1/servers/${aServer}`, { enabled: false }, t.admin)).status).toBe(404);
      const res = await api.patch(`/v1/servers/${aServer}?tenantId=${A}`, { enabled: false }, t.admin);
      expect([res.status, res.body.enabled]).toEqual([200, false]);
      await api.patch(`/v1/servers/${aServer}`, { enabled: true }, t.resellerA);
    });

    it('shows the admin every tenant, or one when it narrows', async () => {
      const all = await api.get('/v1/servers', t.admin);
      expect(all.body.items.map((s: any) => s.id).sort()).toEqual([aServer, platformServer].sort());
      const narrowed = await api.get(`/v1/servers?tenantId=${A}`, t.admin);
      expect(narrowed.body.items.map((s: any) => s.id)).toEqual([aServer]);
    });

    it("refuses to put a server in another tenant's group, naming groupId", async () => {
      const res = await api.post('/v1/servers', cpanelServer('b-1', { groupId: aGroup }), t.resellerB);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ field: 'groupId', message: 'no such server group' }]);
      expect((await api.get('/v1/servers', t.resellerB)).body.items).toEqual([]);
    });
  });

  describe('bad input', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['an unknown module', { module: 'ispconfig' }, 'module'],
      ['a URL for a host name', { hostname: 'https://whm.test:2087/' }, 'hostname'],
      ['a host name with a space', { hostname: 'whm test' }, 'hostname'],
      ['missing credentials', { credentials: undefined }, 'credentials'],
      ['an empty API token', { credentials: { username: 'root', apiToken: '' } }, 'credentials.apiToken'],
      ['a zero capacity', { maxAccounts: 0 }, 'maxAccounts'],
      ['a port out of range', { port: 70000 }, 'port'],
      ['an unknown field', { sshKey: 'x' }, '(root)'],
      ['a malformed IP', { ipAddress: '300.1.2.3' }, 'ipAddress'],
      [
        'a Plesk server without its IP',
        { module: 'plesk', credentials: { secretKey: 'PLESKKEY-123456' } },
        'ipAddress',
      ],
    ];
    it.each(cases)('answers %s with a 400 naming the field, and writes nothing', async (_, patch, field) => {
      const body = { ...cpanelServer(`bad-${newId()}`), ...patch };
      const res = await api.post('/v1/servers', body, t.resellerB);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: any) => e.field)).toContain(field);
      expect((await api.get('/v1/servers', t.resellerB)).body.items).toEqual([]);
    });

    it('refuses a capacity below the accounts already on the server, naming maxAccounts', async () => {
      await h.db.withTenant(tenantScope(A), async (tx) => {
        for (const u of ['acct1', 'acct2'])
          await tx.execute(sql`insert into accounts (id, tenant_id, service_id, client_id, product_id, module,
                                 server_id, username, status)
                               values (${newId()}, ${A}, ${newId()}, ${newId()}, ${newId()}, 'cpanel',
                                 ${aServer}, ${u}, 'active')`);
      });
      const res = await api.patch(`/v1/servers/${aServer}`, { maxAccounts: 1 }, t.resellerA);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('maxAccounts');
      expect((await api.get(`/v1/servers/${aServer}`, t.resellerA)).body).toMatchObject({
        maxAccounts: 100,
        accounts: 2,
      });
      expect((await api.patch(`/v1/servers/${aServer}`, { maxAccounts: 2 }, t.resellerA)).status).toBe(200);
      expect((await api.del(`/v1/servers/${aServer}`, t.resellerA)).status).toBe(409);
    });

    it('refuses a second server or group with the same name in one tenant (409 naming name)', async () => {
      const dup = await api.post('/v1/servers', cpanelServer('acme-1'), t.resellerA);
      expect(dup.status).toBe(409);
      expect(dup.body.errors).toEqual([{ field: 'name', message: 'already in use' }]);
      expect((await api.post('/v1/servers', cpanelServer('acme-1'), t.resellerB)).status).toBe(201);
      expect((await api.post('/v1/server-groups', { name: 'Acme EU' }, t.resellerA)).status).toBe(409);
    });

    it('refuses to delete a group that still has servers', async () => {
      expect((await api.del(`/v1/server-groups/${aGroup}`, t.resellerA)).status).toBe(409);
    });
  });

  describe('test connection', () => {
    it("asks WHM with the server's API token and reports success", async () => {
      const whm = nock('https://whm.platform.test:2087', {
        reqheaders: { authorization: 'whm root:TOKEN-platform1-SECRET' },
      })
        .get('/json-api/listpkgs')
        .query({ 'api.version': '1', want: 'creatable' })
        .reply(200, {
          metadata: { command: 'listpkgs', version: 1, result: 1, reason: 'OK' },
          data: { pkg: [{ name: 'basic', QUOTA: '1024' }] },
        });
      const res = await api.post(`/v1/servers/${platformServer}/test-connection`, {}, t.admin);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ok: true });
      expect(whm.isDone()).toBe(true);
    });

    it("reports WHM's refusal of the token without leaking the token", async () => {
      nock('https://whm.platform.test:2087')
        .get('/json-api/listpkgs')
        .query(true)
        .reply(403, 'Access denied');
      const res = await api.post(`/v1/servers/${platformServer}/test-connection`, {}, t.admin);
      expect(res.status).toBe(200);
      expect(res.body.ok).toBe(false);
      expect(res.body.error).toMatch(/refused/);
      expect(JSON.stringify(res.body)).not.toContain('TOKEN');
    });
  });

  it('declares every route authenticated with roles, but the signed callbacks, the storefront search and the service-key ones', () => {
    const routes = h.running.built.routes.flatMap((r) => r.list());
    expect(routes.length).toBeGreaterThan(0);
    const PUBLIC = ['POST /v1/callbacks/registrars/:registrar/:account', 'GET /v1/domain-search/:id'];
    for (const r of routes)
      if (r.path.startsWith('/internal/'))
        expect([r.method, r.path, r.access]).toEqual([r.method, r.path, 'service']);
      else if (!PUBLIC.includes(`${r.method} ${r.path}`))
        expect([r.method, r.path, typeof r.access]).toEqual([r.method, r.path, 'object']);
    expect(routes.filter((r) => PUBLIC.includes(`${r.method} ${r.path}`))).toHaveLength(2);
  });
});
