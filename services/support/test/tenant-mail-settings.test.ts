import { newId, tenantScope } from '@geminis/service-kit';
import { suppress } from '../src/store/suppressions.store';
import { client, countRows, startSupport, type Client, type Harness } from './support/support';

/**
 * Per-tenant mail resources (a tenant's own SMTP server, its suppressed addresses): another tenant gets
 * the same 404 as a missing one and changes nothing; bad input is a 400 naming the field. Run with both
 * walls, and with row-level security opened so each store's own tenant filter must hold alone.
 */
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ tenant filters alone)', true],
])('tenant mail settings %s', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  let resellerA: string;
  let resellerB: string;
  let suppressionOfA: string;
  const server = {
    host: '198.41.0.4',
    port: 587,
    security: 'starttls',
    username: 'a@acme.example',
    password: 'app-password-1234',
  };

  beforeAll(async () => {
    // production rules: no private hosts, no plain SMTP
    h = await startSupport({}, { firstWallOnly });
    api = client(h.url);
    resellerA = h.issuer.tokenFor('reseller', A);
    resellerB = h.issuer.tokenFor('reseller', B);
    suppressionOfA = newId();
    await h.db.withTenant(tenantScope(A), (tx) =>
      suppress(tx, tenantScope(A), {
        id: suppressionOfA,
        email: 'gone@acme.example',
        reason: 'hard_bounce',
        statusCode: '5.1.1',
        diagnostic: '550 5.1.1 user unknown',
        mailId: null,
        createdAt: new Date(),
      }),
    );
  }, 60_000);
  afterAll(() => h.stop());

  it('keeps a tenant’s SMTP server its own: another tenant reads, tests and removes only its own (404)', async () => {
    // a name that does not resolve here is refused as such; use a literal public address instead
    const put = await api.put('/v1/support/smtp-settings', { ...server, host: '198.41.0.4' }, resellerA);
    expect(put.status).toBe(200);
    const missing = await api.get('/v1/support/smtp-settings', h.issuer.tokenFor('reseller', newId()));
    for (const r of [
      await api.get('/v1/support/smtp-settings', resellerB),
      await api.post('/v1/support/smtp-settings/test', {}, resellerB),
      await api.del('/v1/support/smtp-settings', resellerB),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body.code).toBe(missing.body.code);
    }
    expect(await countRows(h, 'tenant_smtp_settings')).toBe(1);
    // B's own settings are a row of B's: A's stay as they were
    expect(
      (await api.put('/v1/support/smtp-settings', { ...server, host: '198.41.0.5' }, resellerB)).status,
    ).toBe(200);
    expect((await api.get('/v1/support/smtp-settings', resellerA)).body.host).toBe('198.41.0.4');
    expect((await api.del('/v1/support/smtp-settings', resellerB)).status).toBe(204);
    expect((await api.get('/v1/support/smtp-settings', resellerA)).status).toBe(200);
    expect((await api.get('/v1/support/smtp-settings', h.issuer.tokenFor('client', A, newId()))).status).toBe(
      403,
    );
  });

  it('keeps suppressed addresses per tenant: another tenant neither lists nor lifts them (404)', async () => {
    expect((await api.get('/v1/support/mail-suppressions', resellerB)).body.items).toEqual([]);
    const foreign = await api.del(`/v1/support/mail-suppressions/${suppressionOfA}`, resellerB);
    const missing = await api.del(`/v1/support/mail-suppressions/${newId()}`, resellerB);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe(missing.body.code);
    const mine = await api.get('/v1/support/mail-suppressions', resellerA);
    expect(mine.body.items.map((x: { id: string }) => x.id)).toEqual([suppressionOfA]);
  });

  it.each([
    ['host', { ...server, host: '127.0.0.1' }],
    ['host', { ...server, host: '10.1.2.3' }],
    ['host', { ...server, host: '169.254.169.254' }],
    ['host', { ...server, host: 'smtp example.com' }],
    ['security', { ...server, security: 'none' }],
    ['security', { ...server, security: 'ssl3' }],
    ['port', { ...server, port: 70_000 }],
    ['password', { ...server, password: undefined }],
    ['password', { ...server, password: '' }],
    ['unknown', { ...server, unknown: true }],
  ])('refuses a bad %s with a 400 naming it, and writes nothing', async (field, body) => {
    const T = newId();
    const r = await api.put('/v1/support/smtp-settings', body, h.issuer.tokenFor('reseller', T));
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/problem\+json/);
    expect(JSON.stringify(r.body)).toContain(field);
    expect((await api.get('/v1/support/smtp-settings', h.issuer.tokenFor('reseller', T))).status).toBe(404);
  });
});
