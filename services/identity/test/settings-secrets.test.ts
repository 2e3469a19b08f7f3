import { buildWorld, client, startIdentity, type Client, type Harness, type World } from './support/identity';

/** DESIGN.md §2: settings that are secrets resolve within one tenant only; masking never reveals a short one. */
describe('secret settings', () => {
  let h: Harness;
  let api: Client;
  let w: World;

  beforeAll(async () => {
    h = await startIdentity();
    api = client(h.url);
    w = await buildWorld(h, api);
    const put = await api.put(
      '/v1/settings',
      {
        values: { 'payments.stripeSecretKey': 'sk_live_platform_00000000Zq9x', 'mail.smtpPassword': 'abcd' },
      },
      w.admin.token,
    );
    expect(put.status).toBe(200);
  }, 60_000);
  afterAll(() => h.stop());

  const item = (res: { body: any }, key: string) => res.body.items.find((s: any) => s.key === key);

  it("never shows a reseller the platform's secrets, masked or not", async () => {
    const res = await api.get('/v1/settings', w.resellerA.token);
    expect(res.status).toBe(200);
    for (const key of ['payments.stripeSecretKey', 'mail.smtpPassword']) {
      expect(item(res, key)).toMatchObject({ value: null, source: 'default' });
    }
    // the key's last four, as a mask would show them (letters no id or date holds: '9999' once could be)
    expect(JSON.stringify(res.body)).not.toContain('Zq9x');
  });

  it("never gives a reseller without its own key the platform's as its effective secret", async () => {
    expect(await h.services.settings.secret(w.tenantA, 'payments.stripeSecretKey')).toBeUndefined();
    expect(await h.services.settings.secret(w.tenantA, 'mail.smtpPassword')).toBeUndefined();
    expect(await h.services.settings.secret(w.admin.tenantId, 'payments.stripeSecretKey')).toBe(
      'sk_live_platform_00000000Zq9x',
    );
  });

  it("uses the reseller's own secret once it sets one", async () => {
    const put = await api.put(
      '/v1/settings',
      { values: { 'payments.stripeSecretKey': 'sk_live_acme_0000000000001234' } },
      w.resellerA.token,
    );
    expect(put.status).toBe(200);
    expect(item(put, 'payments.stripeSecretKey')).toMatchObject({ value: '••••1234', source: 'reseller' });
    expect(await h.services.settings.secret(w.tenantA, 'payments.stripeSecretKey')).toBe(
      'sk_live_acme_0000000000001234',
    );
  });

  it('masks a short secret without showing any of it', async () => {
    const res = await api.get('/v1/settings', w.admin.token);
    expect(item(res, 'mail.smtpPassword')).toMatchObject({ value: '••••', source: 'platform' });
    expect(JSON.stringify(res.body)).not.toContain('abcd');
  });
});
