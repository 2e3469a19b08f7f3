import { newId, rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { buildWorld, client, startIdentity, type Client, type Harness, type World } from './support/identity';

/** The cross-tenant matrix: every endpoint, every party; another tenant's object answers like a missing one. */
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ tenant filters alone)', true],
])('identity tenancy %s', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  let w: World;

  beforeAll(async () => {
    h = await startIdentity({}, { firstWallOnly });
    api = client(h.url);
    w = await buildWorld(h, api);
  }, 60_000);
  afterAll(() => h.stop());

  const notFoundLike = (res: { status: number; body: any }, code: string) => {
    expect(res.status).toBe(404);
    expect(res.body.code).toBe(code);
  };

  it('lets each reseller list only its own clients', async () => {
    const a = await api.get('/v1/clients', w.resellerA.token);
    expect(a.status).toBe(200);
    expect(a.body.items.map((u: any) => u.id).sort()).toEqual([w.clientA1.id, w.clientA2.id].sort());
    const b = await api.get(`/v1/clients?tenantId=${w.tenantA}`, w.resellerB.token);
    expect(b.body.items.map((u: any) => u.id)).toEqual([w.clientB1.id]);
  });

  it('lets the admin list every client and narrow to one reseller, audited', async () => {
    const all = await api.get('/v1/clients', w.admin.token);
    expect(all.body.items.map((u: any) => u.id)).toEqual(
      expect.arrayContaining([w.clientA1.id, w.clientA2.id, w.clientB1.id, w.platformClient.id]),
    );
    const narrowed = await api.get(`/v1/clients?tenantId=${w.tenantB}`, w.admin.token);
    expect(narrowed.body.items.map((u: any) => u.id)).toEqual([w.clientB1.id]);
    const log = await api.get('/v1/audit-log?type=admin.narrowing', w.resellerB.token);
    expect(log.body.items.some((e: any) => e.actorId === w.admin.id)).toBe(true);
  });

  it.each([
    ['GET', (id: string) => `/v1/clients/${id}`, undefined],
    ['PATCH', (id: string) => `/v1/clients/${id}`, { name: 'Hijacked' }],
    ['POST', (id: string) => `/v1/clients/${id}/suspend`, {}],
    ['POST', (id: string) => `/v1/clients/${id}/activate`, {}],
  ])("answers %s %s on another tenant's client exactly like a missing one", async (method, path, body) => {
    const foreign = await api.call(method, path(w.clientB1.id), { token: w.resellerA.token, body });
    const missing = await api.call(method, path(newId()), { token: w.resellerA.token, body });
    notFoundLike(foreign, 'identity.client_not_found');
    expect({ ...foreign.body, requestId: 0 }).toEqual({ ...missing.body, requestId: 0 });
    const b1 = await api.get(`/v1/clients/${w.clientB1.id}`, w.resellerB.token);
    expect(b1.body).toMatchObject({ name: 'B One', status: 'active' });
  });

  it('lets a reseller and the admin read, update and suspend a client they may reach', async () => {
    expect((await api.get(`/v1/clients/${w.clientA2.id}`, w.resellerA.token)).status).toBe(200);
    expect((await api.get(`/v1/clients/${w.clientA2.id}`, w.admin.token)).status).toBe(200);
    const patched = await api.patch(
      `/v1/clients/${w.clientA2.id}`,
      { name: 'A Two Renamed' },
      w.resellerA.token,
    );
    expect(patched.body.name).toBe('A Two Renamed');
    const suspended = await api.post(`/v1/clients/${w.clientA2.id}/suspend`, {}, w.admin.token);
    expect(suspended.body.status).toBe('suspended');
    const login = await api.post('/v1/auth/login', {
      email: 'a2@example.com',
      password: 'client-a2-pass-1',
      tenantSlug: 'acme',
    });
    expect(login.status).toBe(403);
    expect(login.body.code).toBe('identity.account_inactive');
    expect((await api.post('/v1/auth/refresh', { refreshToken: w.clientA2.refreshToken })).status).toBe(401);
    expect((await api.post(`/v1/clients/${w.clientA2.id}/activate`, {}, w.resellerA.token)).body.status).toBe(
      'active',
    );
    // The suspension ended its session for good (access token included): back in by signing in again.
    expect((await api.get('/v1/me', w.clientA2.token)).status).toBe(401);
    const again = await api.login('a2@example.com', 'client-a2-pass-1', 'acme');
    w.clientA2 = { ...w.clientA2, token: again.accessToken, refreshToken: again.refreshToken };
  });

  it('refuses client endpoints to clients and reseller endpoints to everyone but the admin', async () => {
    for (const c of [w.clientA1, w.clientB1, w.platformClient]) {
      expect((await api.get('/v1/clients', c.token)).status).toBe(403);
      expect((await api.get(`/v1/clients/${c.id}`, c.token)).status).toBe(403);
      expect((await api.get('/v1/settings', c.token)).status).toBe(403);
      expect((await api.get('/v1/audit-log', c.token)).status).toBe(403);
    }
    for (const p of [w.resellerA, w.resellerB, w.clientA1]) {
      expect((await api.get('/v1/resellers', p.token)).status).toBe(403);
      expect((await api.get(`/v1/resellers/${w.tenantA}`, p.token)).status).toBe(403);
      expect((await api.patch(`/v1/resellers/${w.tenantB}`, { brandName: 'x' }, p.token)).status).toBe(403);
      expect((await api.post(`/v1/resellers/${w.tenantB}/suspend`, {}, p.token)).status).toBe(403);
      expect((await api.post('/v1/admin/signing-keys/rotate', {}, p.token)).status).toBe(403);
      expect((await api.post(`/v1/users/${w.clientB1.id}/2fa/reset`, {}, p.token)).status).toBe(403);
    }
    expect((await api.get('/v1/clients')).status).toBe(401);
  });

  it('gives everyone their own profile and nobody else’s', async () => {
    for (const p of [w.admin, w.resellerA, w.resellerB, w.clientA1, w.clientA2, w.clientB1]) {
      const me = await api.get('/v1/me', p.token);
      expect(me.body).toMatchObject({ id: p.id, tenantId: p.tenantId });
    }
  });

  it('lets a reseller read its own profile and change its brand, and nothing else of it or of another', async () => {
    for (const [p, tenant] of [
      [w.resellerA, w.tenantA],
      [w.resellerB, w.tenantB],
    ] as const) {
      const own = await api.get('/v1/me/reseller', p.token);
      expect(own.status).toBe(200);
      expect(own.body).toEqual((await api.get(`/v1/resellers/${tenant}`, w.admin.token)).body);
    }
    const changed = await api.patch(
      '/v1/me/reseller',
      { brandName: 'Bravo Web', supportEmail: 'help@bravo.example' },
      w.resellerB.token,
    );
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      id: w.tenantB,
      brandName: 'Bravo Web',
      supportEmail: 'help@bravo.example',
    });
    expect((await api.get(`/v1/resellers/${w.tenantA}`, w.admin.token)).body.brandName).not.toBe('Bravo Web');
    const events = await h.db.withTenant({ kind: 'all' }, (tx) =>
      rows<{ envelope: any }>(
        tx,
        sql`select envelope from outbox where type = 'identity.reseller.updated.v1' and tenant_id = ${w.tenantB}
            order by created_at`,
      ),
    );
    expect(events.at(-1)!.envelope.data).toMatchObject({ resellerId: w.tenantB, brandName: 'Bravo Web' });

    // Domains, custom products, slug and status are the admins' to change: refused, nothing written.
    for (const field of [
      { customDomains: ['taken-by-someone.example'] },
      { allowCustomProducts: true },
      { slug: 'other' },
      { status: 'active' },
    ]) {
      const res = await api.patch('/v1/me/reseller', { brandName: 'Sneaky', ...field }, w.resellerB.token);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.errors)).toContain(Object.keys(field)[0]);
    }
    expect((await api.get('/v1/me/reseller', w.resellerB.token)).body.brandName).toBe('Bravo Web');
    for (const p of [w.admin, w.clientA1, w.platformClient]) {
      expect((await api.get('/v1/me/reseller', p.token)).status).toBe(403);
      expect((await api.patch('/v1/me/reseller', { brandName: 'x' }, p.token)).status).toBe(403);
    }
  });

  it('rejects mass assignment of role, status, tenant or email on the own profile, writing nothing', async () => {
    for (const field of [
      { role: 'admin' },
      { status: 'active' },
      { tenantId: w.tenantB },
      { email: 'x@y.z' },
    ]) {
      const res = await api.patch('/v1/me', { name: 'Sneaky', ...field }, w.clientA1.token);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('(root)');
    }
    const me = await api.get('/v1/me', w.clientA1.token);
    expect(me.body).toMatchObject({ role: 'client', tenantId: w.tenantA, name: 'Acme Client' });
  });

  it('keeps a reseller from creating a client in another tenant', async () => {
    const res = await api.post(
      '/v1/clients',
      { email: 'smuggled@example.com', name: 'S', password: 'smuggled-pass-1', tenantId: w.tenantB },
      w.resellerA.token,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'tenantId' })]);
    const b = await api.get(`/v1/clients?tenantId=${w.tenantB}`, w.admin.token);
    expect(b.body.items.map((u: any) => u.email)).not.toContain('smuggled@example.com');
  });

  it('allows the same email in another tenant and refuses a duplicate in the same one', async () => {
    const again = { email: 'B1@example.com', name: 'Again', password: 'client-again-pass-1' };
    expect((await api.post('/v1/clients', again, w.resellerA.token)).status).toBe(201);
    const dup = await api.post('/v1/clients', again, w.resellerB.token);
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('identity.email_taken');
  });

  it('scopes settings and the audit log to the reseller’s tenant', async () => {
    const put = await api.put(
      '/v1/settings',
      { values: { 'billing.invoicePrefix': 'ACME-' } },
      w.resellerA.token,
    );
    expect(put.status).toBe(200);
    const a = await api.get('/v1/settings', w.resellerA.token);
    const b = await api.get(`/v1/settings?tenantId=${w.tenantA}`, w.resellerB.token);
    const prefix = (r: any) => r.body.items.find((s: any) => s.key === 'billing.invoicePrefix');
    expect(prefix(a)).toMatchObject({ value: 'ACME-', source: 'reseller' });
    expect(prefix(b)).toMatchObject({ value: 'INV-', source: 'default' });
    const logB = await api.get('/v1/audit-log', w.resellerB.token);
    expect(logB.body.items.length).toBeGreaterThan(0);
    expect(logB.body.items.every((e: any) => e.tenantId === w.tenantB)).toBe(true);
  });

  it('suspends a reseller: its users cannot sign in or refresh, and the event is in the outbox', async () => {
    const c = await api.post(
      '/v1/resellers',
      {
        slug: 'charlie',
        brandName: 'Charlie',
        owner: { email: 'owner@charlie.example', name: 'C', password: 'charlie-owner-pass-1' },
      },
      w.admin.token,
    );
    const owner = await api.login('owner@charlie.example', 'charlie-owner-pass-1', 'charlie');
    const s = await api.post(
      `/v1/resellers/${c.body.reseller.id}/suspend`,
      { reason: 'unpaid' },
      w.admin.token,
    );
    expect(s.body.status).toBe('suspended');
    const login = await api.post('/v1/auth/login', {
      email: 'owner@charlie.example',
      password: 'charlie-owner-pass-1',
      tenantSlug: 'charlie',
    });
    expect(login.body.code).toBe('identity.tenant_suspended');
    expect((await api.post('/v1/auth/refresh', { refreshToken: owner.refreshToken })).status).toBe(401);
    const events = await h.db.withTenant({ kind: 'all' }, (tx) =>
      rows<{ envelope: any }>(
        tx,
        sql`select envelope from outbox where type = 'identity.reseller.suspended.v1'`,
      ),
    );
    expect(events.map((e) => e.envelope)).toEqual([
      expect.objectContaining({
        tenantId: c.body.reseller.id,
        data: { resellerId: c.body.reseller.id, reason: 'unpaid' },
      }),
    ]);
  });

  it('resolves hosts to tenants and brands for the gateway', async () => {
    const byHost = await api.get('/internal/v1/tenants/by-host/ACME.localhost');
    expect(byHost.body).toMatchObject({ tenantId: w.tenantA, slug: 'acme' });
    expect((await api.get('/internal/v1/tenants/by-host/nobody.example')).status).toBe(404);
    const brand = await api.get(`/internal/v1/tenants/${w.tenantA}/brand`);
    expect(brand.body).toMatchObject({ brandName: 'Acme Hosting' });
  });
});
