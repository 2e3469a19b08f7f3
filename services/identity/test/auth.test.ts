import { request } from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import { IDENTITY_INTERNAL, PasswordResetToken, Revocations, User } from '@geminis/contracts';
import { rows, SERVICE_KEY_HEADER } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import jwt from 'jsonwebtoken';
import { authenticator } from 'otplib';
import {
  AUDIENCE,
  client,
  ISSUER,
  SERVICE_KEY,
  startIdentity,
  type Client,
  type Harness,
} from './support/identity';
import { seedIdentityDemo, type IdentityDemo } from '../src/service';

/** fetch() does not let a caller set Host; node:http does (the storefront's custom domain). */
function postWithHost(url: string, host: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      url,
      {
        method: 'POST',
        headers: { host, 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe('identity authentication', () => {
  let h: Harness;
  let api: Client;
  let demo: IdentityDemo;

  beforeAll(async () => {
    h = await startIdentity({ lockoutThreshold: 3 });
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
  }, 60_000);
  afterAll(() => h.stop());

  const loginAdmin = () => api.login(demo.admin.email, demo.admin.password);
  const me = (token: string) => api.get('/v1/me', token);

  it('issues RS256 at+jwt access tokens with the claims, verifiable with the published JWKS', async () => {
    const s = await loginAdmin();
    const decoded = jwt.decode(s.accessToken, { complete: true })!;
    expect(decoded.header).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: expect.any(String) });
    const claims = decoded.payload as jwt.JwtPayload;
    expect(claims).toMatchObject({
      sub: demo.admin.id,
      role: 'admin',
      tid: demo.admin.tenantId,
      iss: ISSUER,
      aud: AUDIENCE,
    });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(typeof claims.jti).toBe('string');
    const jwks = await api.get('/.well-known/jwks.json');
    const jwk = jwks.body.keys.find((k: any) => k.kid === decoded.header.kid);
    expect(jwk).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
    expect(JSON.stringify(jwks.body)).not.toMatch(/"d"|"p"|"q"/);
    const { createPublicKey } = await import('node:crypto');
    expect(() =>
      jwt.verify(s.accessToken, createPublicKey({ key: jwk, format: 'jwk' }), { algorithms: ['RS256'] }),
    ).not.toThrow();
    expect((await me(s.accessToken)).status).toBe(200);
  });

  it('stores password hashes as argon2id with the OWASP parameters and signing keys encrypted', async () => {
    const [u] = await h.db.withTenant({ kind: 'tenant', tenantId: demo.admin.tenantId }, (tx) =>
      rows<{ password_hash: string }>(tx, sql`select password_hash from users where id = ${demo.admin.id}`),
    );
    expect(u!.password_hash).toMatch(/^\$argon2id\$v=19\$/);
    const params = Object.fromEntries(
      u!.password_hash
        .split('$')[3]!
        .split(',')
        .map((p) => p.split('=')),
    );
    expect(params).toEqual({ m: '19456', t: '2', p: '1' });
    const keys = await h.db.transaction((tx) =>
      rows<{ private_key_enc: string }>(tx, sql`select private_key_enc from signing_keys`),
    );
    for (const k of keys) expect(k.private_key_enc).toMatch(/^v1\./);
    expect(JSON.stringify(keys)).not.toContain('PRIVATE KEY');
  });

  describe('rejects forged and misused access tokens with 401', () => {
    let good: string;
    let refresh: string;
    beforeAll(async () => {
      const s = await loginAdmin();
      good = s.accessToken;
      refresh = s.refreshToken;
    });
    const parts = () => good.split('.') as [string, string, string];
    const claims = () => JSON.parse(Buffer.from(parts()[1], 'base64url').toString());
    const hdr = () => JSON.parse(Buffer.from(parts()[0], 'base64url').toString());
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });

    it.each<[string, () => string | Promise<string>]>([
      ['alg none', () => `${b64({ ...hdr(), alg: 'none' })}.${parts()[1]}.`],
      [
        'HS256 signed with the public key',
        async () => {
          const jwks = await api.get('/.well-known/jwks.json');
          const { createPublicKey } = await import('node:crypto');
          const pem = createPublicKey({ key: jwks.body.keys[0], format: 'jwk' }).export({
            format: 'pem',
            type: 'spki',
          });
          return jwt.sign(claims(), pem.toString(), {
            algorithm: 'HS256',
            header: { ...hdr(), alg: 'HS256' },
          });
        },
      ],
      [
        'signed by another key with our kid',
        () => jwt.sign(claims(), attacker.privateKey, { algorithm: 'RS256', header: hdr() }),
      ],
      [
        'an edited tid',
        () => `${parts()[0]}.${b64({ ...claims(), tid: demo.reseller.tenantId })}.${parts()[2]}`,
      ],
      [
        'a tampered role',
        () =>
          `${parts()[0]}.${b64({ ...claims(), role: 'admin', sub: demo.platformClient.id })}.${parts()[2]}`,
      ],
      [
        'an unknown kid',
        () =>
          jwt.sign(claims(), attacker.privateKey, {
            algorithm: 'RS256',
            header: { ...hdr(), kid: 'k-unknown' },
          }),
      ],
      ['a refresh token', () => refresh],
      ['garbage', () => 'not.a.token'],
    ])('%s', async (_name, forge) => {
      const res = await me(await forge());
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('auth.invalid_token');
    });

    it('wrong iss, wrong aud, expired, missing exp, wrong typ (signed by the real key)', async () => {
      // Sign with the real private key from the database to prove the claim checks, not the signature, reject these.
      const [row] = await h.db.transaction((tx) =>
        rows<{ kid: string; private_key_enc: string }>(
          tx,
          sql`select kid, private_key_enc from signing_keys where retire_at is null`,
        ),
      );
      const key = h.services.cipher.decrypt('signing-keys', row!.private_key_enc);
      const sign = (over: object, header: object = {}) =>
        jwt.sign({ ...claims(), ...over }, key, {
          algorithm: 'RS256',
          header: { alg: 'RS256', typ: 'at+jwt', kid: row!.kid, ...header },
        });
      const now = Math.floor(Date.now() / 1000);
      expect((await me(sign({}))).status).toBe(200); // the control: a correct token passes
      for (const token of [
        sign({ iss: 'https://evil.example' }),
        sign({ aud: 'someone-else' }),
        sign({ iat: now - 4000, exp: now - 3000 }),
        sign({}, { typ: 'JWT' }),
        jwt.sign((({ exp: _e, ...rest }) => rest)(claims()), key, {
          algorithm: 'RS256',
          header: { alg: 'RS256', typ: 'at+jwt', kid: row!.kid },
        }),
      ]) {
        expect((await me(token)).status).toBe(401);
      }
    });
  });

  it('rotates keys with overlap: old tokens verify until the old key is retired, then 401', async () => {
    const before = await loginAdmin();
    const rotated = await api.post('/v1/admin/signing-keys/rotate', {}, before.accessToken);
    expect(rotated.status).toBe(201);
    const jwks = await api.get('/.well-known/jwks.json');
    const oldKid = jwt.decode(before.accessToken, { complete: true })!.header.kid!;
    expect(jwks.body.keys.map((k: any) => k.kid)).toEqual(expect.arrayContaining([oldKid, rotated.body.kid]));
    expect((await me(before.accessToken)).status).toBe(200);
    const after = await loginAdmin();
    expect(jwt.decode(after.accessToken, { complete: true })!.header.kid).toBe(rotated.body.kid);
    // Rotate again with no overlap: the previous key is retired at once.
    const again = await api.post(
      '/v1/admin/signing-keys/rotate',
      { previousKeyOverlapSeconds: 0 },
      after.accessToken,
    );
    expect(again.status).toBe(201);
    await new Promise((r) => setTimeout(r, 20));
    expect((await me(after.accessToken)).status).toBe(401);
    const keys = (await api.get('/.well-known/jwks.json')).body.keys.map((k: any) => k.kid);
    expect(keys).not.toContain(rotated.body.kid);
  });

  it('rotates refresh tokens and revokes the family when a rotated token is reused', async () => {
    const s = await api.login(demo.platformClient.email, demo.platformClient.password);
    const r1 = await api.post('/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(s.refreshToken);
    const reuse = await api.post('/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(reuse.status).toBe(401);
    // The legitimate holder's newer token died with the family.
    expect((await api.post('/v1/auth/refresh', { refreshToken: r1.body.refreshToken })).status).toBe(401);
    const stored = await h.db.withTenant({ kind: 'tenant', tenantId: demo.platformClient.tenantId }, (tx) =>
      rows<{ token_hash: string }>(tx, sql`select token_hash from refresh_tokens`),
    );
    expect(stored.some((t) => t.token_hash === s.refreshToken)).toBe(false);
    expect(stored.every((t) => /^[0-9a-f]{64}$/.test(t.token_hash))).toBe(true);
  });

  it('lets ten concurrent uses of one refresh token succeed exactly once', async () => {
    const s = await api.login(demo.platformClient.email, demo.platformClient.password);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => api.post('/v1/auth/refresh', { refreshToken: s.refreshToken })),
    );
    expect(results.filter((r) => r.status === 200).length).toBe(1);
    expect(results.every((r) => r.status === 200 || r.status === 401)).toBe(true);
  });

  it('revokes the session on logout', async () => {
    const s = await api.login(demo.platformClient.email, demo.platformClient.password);
    expect((await api.post('/v1/auth/logout', { refreshToken: s.refreshToken })).status).toBe(204);
    expect((await api.post('/v1/auth/refresh', { refreshToken: s.refreshToken })).status).toBe(401);
  });

  it('locks an account after repeated failures, and answers unknown emails the same way', async () => {
    await api.post(
      '/v1/clients',
      { email: 'lock@example.com', name: 'L', password: 'lock-me-pass-1' },
      (await loginAdmin()).accessToken,
    );
    const attempt = (email: string, password = 'wrong-password-1') =>
      api.post('/v1/auth/login', { email, password });
    for (const email of ['lock@example.com', 'nobody@example.com']) {
      const r1 = await attempt(email);
      expect(r1.status).toBe(401);
      expect(r1.body.code).toBe('identity.invalid_credentials');
      await attempt(email);
      const r3 = await attempt(email);
      expect(r3.status).toBe(429);
      expect(r3.headers.get('retry-after')).toBeTruthy();
    }
    const right = await attempt('lock@example.com', 'lock-me-pass-1');
    expect(right.status).toBe(429);
    expect(right.body.code).toBe('identity.account_locked');
  });

  it('changes a password and resets a forgotten one with a one-time token that never reaches the outbox', async () => {
    const s = await api.login(demo.resellerClient.email, demo.resellerClient.password, 'acme');
    const weak = await api.post(
      '/v1/auth/password/change',
      { currentPassword: demo.resellerClient.password, newPassword: 'short' },
      s.accessToken,
    );
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].field).toBe('newPassword');
    const changed = await api.post(
      '/v1/auth/password/change',
      { currentPassword: demo.resellerClient.password, newPassword: 'a-brand-new-pass-2' },
      s.accessToken,
    );
    expect(changed.status).toBe(204);
    expect((await api.post('/v1/auth/refresh', { refreshToken: s.refreshToken })).status).toBe(401);

    // Reset, resolved from the storefront host.
    const req = await postWithHost(`${h.url}/v1/auth/password/reset-request`, 'acme.localhost', {
      email: demo.resellerClient.email,
    });
    expect(req).toBe(202);
    const unknown = await api.post('/v1/auth/password/reset-request', {
      email: 'ghost@example.com',
      tenantSlug: 'acme',
    });
    expect(unknown.status).toBe(202);
    // The reset is done after the answer (its timing must not tell a known e-mail from an unknown one).
    const resetEvents = () =>
      h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ envelope: any }>(
          tx,
          sql`select envelope from outbox where type = 'identity.password_reset.requested.v1'`,
        ),
      );
    let events = await resetEvents();
    for (let i = 0; i < 50 && events.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      events = await resetEvents();
    }
    expect(events).toHaveLength(1);
    const { resetId } = events[0]!.envelope.data;
    // Whoever emails the link fetches the token with the service key; nobody else can.
    const tokenPath = (tenantId: string) => IDENTITY_INTERNAL.passwordResetToken(tenantId, resetId);
    const asService = { headers: { [SERVICE_KEY_HEADER]: SERVICE_KEY } };
    const fetched = await api.call('GET', tokenPath(demo.resellerClient.tenantId), asService);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('cache-control')).toBe('no-store');
    const { token } = PasswordResetToken.parse(fetched.body);
    expect(JSON.stringify(events)).not.toContain(token);
    expect((await api.get(tokenPath(demo.resellerClient.tenantId))).status).toBe(401);
    const staff = await api.login(demo.admin.email, demo.admin.password);
    expect((await api.get(tokenPath(demo.resellerClient.tenantId), staff.accessToken)).status).toBe(401);
    // Under another tenant the same reset id does not exist.
    expect((await api.call('GET', tokenPath(demo.platformClient.tenantId), asService)).status).toBe(404);
    const reset = await api.post('/v1/auth/password/reset', { token, newPassword: 'reset-new-pass-3' });
    expect(reset.status).toBe(204);
    expect(
      (await api.post('/v1/auth/password/reset', { token, newPassword: 'reset-new-pass-4' })).status,
    ).toBe(400);
    // A used reset has no token to hand out any more.
    expect((await api.call('GET', tokenPath(demo.resellerClient.tenantId), asService)).status).toBe(404);
    await api.login(demo.resellerClient.email, 'reset-new-pass-3', 'acme');
  });

  it('tells our services (with the service key) whose tokens were revoked since a time', async () => {
    const admin = (await loginAdmin()).accessToken;
    const asService = { headers: { [SERVICE_KEY_HEADER]: SERVICE_KEY } };
    const owner = { email: 'o@revoked.example', name: 'O', password: 'long-enough-pass-1' };
    const reseller = (await api.post('/v1/resellers', { slug: 'revoked', brandName: 'R', owner }, admin)).body
      .reseller.id as string;
    const client = (
      await api.post(
        '/v1/clients',
        { email: 'gone@example.com', name: 'G', password: 'long-enough-pass-1' },
        admin,
      )
    ).body.id as string;
    const before = new Date(Date.now() - 1_000);
    const path = IDENTITY_INTERNAL.revocations(before);
    // Users and tenants (sessions that other tests ended may be listed too).
    const usersAndTenants = (items: { kind: string }[]) => items.filter((i) => i.kind !== 'session');
    expect(usersAndTenants((await api.call('GET', path, asService)).body.items)).toEqual([]);

    expect((await api.post(`/v1/clients/${client}/suspend`, {}, admin)).status).toBe(200);
    expect((await api.post(`/v1/resellers/${reseller}/suspend`, {}, admin)).status).toBe(200);
    const listed = await api.call('GET', path, asService);
    expect(listed.status).toBe(200);
    expect(listed.headers.get('cache-control')).toBe('no-store');
    const { items } = Revocations.parse(listed.body);
    expect(usersAndTenants(items).map((r: any) => [r.kind, r.id])).toEqual([
      ['user', client],
      ['tenant', reseller],
    ]);
    for (const r of items) expect(Date.parse(r.at)).toBeGreaterThanOrEqual(before.getTime());
    // Only changes after `since`: asking from now on lists nothing.
    const later = await api.call(
      'GET',
      IDENTITY_INTERNAL.revocations(new Date(Date.now() + 1_000)),
      asService,
    );
    expect(later.body.items).toEqual([]);

    // Without the key, or with a staff token instead, nothing; a malformed time names the field.
    expect((await api.get(path)).status).toBe(401);
    expect((await api.get(path, admin)).status).toBe(401);
    const bad = await api.call('GET', '/internal/v1/revocations?since=yesterday', asService);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('since');
  });

  it('enrols TOTP, requires the second step at login, accepts a recovery code once, and disables', async () => {
    const s = await api.login(demo.platformClient.email, demo.platformClient.password);
    const enrol = await api.post(
      '/v1/me/2fa/enrol',
      { currentPassword: demo.platformClient.password },
      s.accessToken,
    );
    expect(enrol.body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    expect((await api.post('/v1/me/2fa/confirm', { code: '000000' }, s.accessToken)).status).toBe(400);
    const confirm = await api.post(
      '/v1/me/2fa/confirm',
      { code: authenticator.generate(enrol.body.secret) },
      s.accessToken,
    );
    expect(confirm.body.recoveryCodes).toHaveLength(10);

    const first = await api.post('/v1/auth/login', {
      email: demo.platformClient.email,
      password: demo.platformClient.password,
    });
    expect(first.body).toMatchObject({ status: 'mfa_required' });
    expect(first.body.accessToken).toBeUndefined();
    expect(
      (await api.post('/v1/auth/login/2fa', { mfaToken: first.body.mfaToken, code: '123456' })).status,
    ).toBe(400);
    const code = confirm.body.recoveryCodes[0];
    const second = await api.post('/v1/auth/login/2fa', { mfaToken: first.body.mfaToken, code });
    expect(second.body.status).toBe('ok');
    // The session's user is the public profile, never the credentials the second step had to read.
    expect(Object.keys(second.body.user).sort()).toEqual(Object.keys(User.shape).sort());
    const again = await api.post('/v1/auth/login', {
      email: demo.platformClient.email,
      password: demo.platformClient.password,
    });
    expect((await api.post('/v1/auth/login/2fa', { mfaToken: again.body.mfaToken, code })).status).toBe(400);

    const admin = await loginAdmin();
    expect(
      (await api.post(`/v1/users/${demo.platformClient.id}/2fa/reset`, {}, admin.accessToken)).status,
    ).toBe(204);
    expect(
      (
        await api.post('/v1/auth/login', {
          email: demo.platformClient.email,
          password: demo.platformClient.password,
        })
      ).body.status,
    ).toBe('ok');
  });

  it('makes a reseller’s clients enrol 2FA when the reseller requires it', async () => {
    const r = await api.login(demo.reseller.email, demo.reseller.password, 'acme');
    // A sign-in just before the change (the policy it read is kept briefly): the change applies at once.
    expect((await api.login(demo.resellerClient.email, 'reset-new-pass-3', 'acme')).user.id).toBeDefined();
    expect(
      (await api.put('/v1/settings', { values: { 'security.require2faForClients': true } }, r.accessToken))
        .status,
    ).toBe(200);
    const first = await api.post('/v1/auth/login', {
      email: demo.resellerClient.email,
      password: 'reset-new-pass-3',
      tenantSlug: 'acme',
    });
    expect(first.body.status).toBe('mfa_enrolment_required');
    const enrol = await api.post('/v1/auth/login/2fa/enrol', { mfaToken: first.body.mfaToken });
    const done = await api.post('/v1/auth/login/2fa/confirm', {
      mfaToken: first.body.mfaToken,
      code: authenticator.generate(enrol.body.secret),
    });
    expect(done.body).toMatchObject({ status: 'ok', recoveryCodes: expect.any(Array) });
    expect(Object.keys(done.body.user).sort()).toEqual(Object.keys(User.shape).sort());
    // The platform-only admin rule is not the reseller's to set.
    const denied = await api.put(
      '/v1/settings',
      { values: { 'security.require2faForAdmins': true } },
      r.accessToken,
    );
    expect(denied.status).toBe(403);
  });

  it('encrypts secret settings at rest and never returns them in full', async () => {
    const r = await api.login(demo.reseller.email, demo.reseller.password, 'acme');
    const put = await api.put(
      '/v1/settings',
      { values: { 'payments.stripeSecretKey': 'sk_live_abcdef123456' } },
      r.accessToken,
    );
    expect(put.status).toBe(200);
    expect(JSON.stringify(put.body)).not.toContain('sk_live_abcdef123456');
    expect(put.body.items.find((s: any) => s.key === 'payments.stripeSecretKey').value).toBe('••••3456');
    const stored = await h.db.withTenant({ kind: 'tenant', tenantId: demo.reseller.tenantId }, (tx) =>
      rows<{ value: unknown; value_enc: string }>(
        tx,
        sql`select value, value_enc from settings where key = 'payments.stripeSecretKey'`,
      ),
    );
    expect(stored[0]!.value).toBeNull();
    expect(stored[0]!.value_enc).not.toContain('sk_live');
    expect(await h.services.settings.secret(demo.reseller.tenantId, 'payments.stripeSecretKey')).toBe(
      'sk_live_abcdef123456',
    );
  });
});
