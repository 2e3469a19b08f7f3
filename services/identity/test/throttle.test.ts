import { allTenants, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { authenticator } from 'otplib';
import { loginKey, throttleCleanupJob } from '../src/domain/throttle';
import { recordFailure } from '../src/store/throttle.store';
import { seedIdentityDemo, type IdentityDemo } from '../src/service';
import { client, startIdentity, type Client, type Harness } from './support/identity';

/**
 * Failed attempts slow down whoever fails: a stranger can no longer lock the platform admin out by
 * failing its password, and fresh 2FA challenges no longer buy fresh guesses.
 */
describe('identity sign-in throttling', () => {
  let h: Harness;
  let api: Client;
  let demo: IdentityDemo;

  beforeAll(async () => {
    h = await startIdentity({ lockoutThreshold: 3 });
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
  }, 60_000);
  afterAll(() => h.stop());

  /** A sign-in from a given client address (identity believes the gateway's X-Forwarded-For on loopback). */
  const login = (email: string, password: string, ip: string) =>
    api.call('POST', '/v1/auth/login', { body: { email, password }, headers: { 'x-forwarded-for': ip } });

  it("refuses an attacker's source after a few failures while the owner signs in from elsewhere", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++)
      statuses.push((await login(demo.admin.email, 'not-the-password-1', '198.51.100.66')).status);
    expect(statuses.slice(0, 2)).toEqual([401, 401]);
    expect(statuses.slice(2).every((s) => s === 429)).toBe(true);
    const refused = await login(demo.admin.email, demo.admin.password, '198.51.100.66');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const owner = await login(demo.admin.email, demo.admin.password, '203.0.113.10');
    expect(owner.status).toBe(200);
    expect(owner.body.status).toBe('ok');
  });

  it('forgets the failures of a source once it signs in, so only failures in a row are counted', async () => {
    const ip = '198.51.100.70';
    const throttleRows = async () =>
      (
        await h.db.withTenant(allTenants, (tx) =>
          rows<{ n: number }>(
            tx,
            sql`select count(*)::int as n from login_throttle
                where key_hash = ${loginKey(demo.platformClient.email, ip)}`,
          ),
        )
      )[0]!.n;
    const wrong = () => login(demo.platformClient.email, 'not-the-password-1', ip);
    const right = () => login(demo.platformClient.email, demo.platformClient.password, ip);
    expect((await right()).status).toBe(200);
    expect(await throttleRows()).toBe(0);
    // Two failures (the threshold is 3), a success, two more: never refused.
    expect([(await wrong()).status, (await wrong()).status]).toEqual([401, 401]);
    expect(await throttleRows()).toBe(1);
    expect((await right()).status).toBe(200);
    expect(await throttleRows()).toBe(0);
    expect([(await wrong()).status, (await wrong()).status]).toEqual([401, 401]);
    expect((await right()).status).toBe(200);
  });

  it('records every sign-in and every failure in the audit log, with the account and the source', async () => {
    const ip = '198.51.100.71';
    const entries = async () =>
      h.db.withTenant(allTenants, (tx) =>
        rows<{ type: string; subject_id: string | null; ip: string | null }>(
          tx,
          sql`select type, subject_id, ip from audit_log where ip = ${ip} order by id`,
        ),
      );
    const ok = await login(demo.platformClient.email, demo.platformClient.password, ip);
    expect(ok.status).toBe(200);
    expect((await login(demo.platformClient.email, 'not-the-password-1', ip)).status).toBe(401);
    expect((await login('nobody-at-all@example.com', 'not-the-password-1', ip)).status).toBe(401);
    expect(await entries()).toEqual([
      { type: 'login.succeeded', subject_id: ok.body.user.id, ip },
      { type: 'login.failed', subject_id: ok.body.user.id, ip },
      { type: 'login.failed', subject_id: null, ip },
    ]);
  });

  it('doubles the wait with each failure from the threshold on, up to the cap, and starts again once forgotten', async () => {
    const scope = tenantScope(demo.platformClient.tenantId);
    const key = loginKey('doubling@example.com', '198.51.100.72');
    const rule = { threshold: 2, baseSec: 30, maxSec: 100, forgetAfterSec: 1000 };
    const fail = () => h.db.withTenant(scope, (tx) => recordFailure(tx, scope, key, rule));
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await fail());
    expect(waits).toEqual([0, 30, 60, 100, 100]);
    // Nothing failed for longer than forgetAfterSec: the next failure is the first again.
    await h.db.withTenant(scope, (tx) =>
      tx.execute(
        sql`update login_throttle set last_failure_at = now() - interval '2000 seconds', blocked_until = null
            where key_hash = ${key}`,
      ),
    );
    expect(await fail()).toBe(0);
    expect(await fail()).toBe(30);
  });

  it('throttles an unknown e-mail exactly like a known one', async () => {
    const shape = async (email: string) => {
      const out: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await login(email, 'not-the-password-1', '198.51.100.67');
        out.push(`${r.status}:${r.body.code}:${r.headers.get('retry-after') !== null}`);
      }
      return out;
    };
    expect(await shape('nobody-here@example.com')).toEqual(await shape(demo.platformClient.email));
  });

  it('counts wrong second factors per account across fresh challenges: then even the right code waits', async () => {
    const s = await api.login(demo.resellerClient.email, demo.resellerClient.password, 'acme');
    const enrol = await api.post(
      '/v1/me/2fa/enrol',
      { currentPassword: demo.resellerClient.password },
      s.accessToken,
    );
    const confirm = await api.post(
      '/v1/me/2fa/confirm',
      { code: authenticator.generate(enrol.body.secret) },
      s.accessToken,
    );
    expect(confirm.status).toBe(200);
    const challenge = async (ip: string) => {
      const first = await api.call('POST', '/v1/auth/login', {
        body: {
          email: demo.resellerClient.email,
          password: demo.resellerClient.password,
          tenantSlug: 'acme',
        },
        headers: { 'x-forwarded-for': ip },
      });
      expect(first.body.status).toBe('mfa_required');
      return first.body.mfaToken as string;
    };
    const wrong: number[] = [];
    for (let i = 0; i < 3; i++) {
      // A fresh challenge each time, from a fresh address: the count is the account's.
      const mfaToken = await challenge(`198.51.100.${100 + i}`);
      wrong.push((await api.post('/v1/auth/login/2fa', { mfaToken, code: '000000' })).status);
    }
    expect(wrong).toEqual([400, 400, 429]);
    const mfaToken = await challenge('203.0.113.11');
    const right = await api.post('/v1/auth/login/2fa', {
      mfaToken,
      code: authenticator.generate(enrol.body.secret),
    });
    expect(right.status).toBe(429);
    expect(right.body.code).toBe('identity.account_locked');
  });

  it('asks for the password again to turn two-factor authentication on or off', async () => {
    const s = await api.login(demo.platformClient.email, demo.platformClient.password);
    const bare = await api.post('/v1/me/2fa/enrol', {}, s.accessToken);
    expect(bare.status).toBe(400);
    expect(bare.body.errors).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
    const wrong = await api.post(
      '/v1/me/2fa/enrol',
      { currentPassword: 'not-the-password-1' },
      s.accessToken,
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.code).toBe('identity.wrong_password');
    const enrol = await api.post(
      '/v1/me/2fa/enrol',
      { currentPassword: demo.platformClient.password },
      s.accessToken,
    );
    expect(enrol.status).toBe(200);
    const code = () => authenticator.generate(enrol.body.secret);
    expect((await api.post('/v1/me/2fa/confirm', { code: code() }, s.accessToken)).status).toBe(200);
    const noPassword = await api.post('/v1/me/2fa/disable', { code: code() }, s.accessToken);
    expect(noPassword.status).toBe(400);
    const badPassword = await api.post(
      '/v1/me/2fa/disable',
      { code: code(), currentPassword: 'not-the-password-1' },
      s.accessToken,
    );
    expect(badPassword.body.code).toBe('identity.wrong_password');
    expect((await api.get('/v1/me', s.accessToken)).body.twoFactorEnabled).toBe(true);
  });

  it('forgets failures nobody repeated for a day, and keeps the recent ones', async () => {
    await login('someone-old@example.com', 'not-the-password-1', '198.51.100.200');
    await login('someone-new@example.com', 'not-the-password-1', '198.51.100.201');
    const count = async () =>
      (
        await h.db.withTenant(allTenants, (tx) =>
          rows<{ n: number }>(tx, sql`select count(*)::int as n from login_throttle`),
        )
      )[0]!.n;
    const before = await count();
    // One of them failed two days ago.
    await h.db.withTenant(allTenants, (tx) =>
      tx.execute(
        sql`update login_throttle set last_failure_at = now() - interval '2 days', blocked_until = null
             where key_hash = ${loginKey('someone-old@example.com', '198.51.100.200')}`,
      ),
    );
    await throttleCleanupJob(h.db).run('now');
    expect(await count()).toBe(before - 1);
  });
});
