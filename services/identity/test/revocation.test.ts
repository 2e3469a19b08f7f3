import { IDENTITY_INTERNAL } from '@geminis/contracts';
import { SERVICE_KEY_HEADER } from '@geminis/service-kit';
import jwt from 'jsonwebtoken';
import {
  buildWorld,
  client,
  SERVICE_KEY,
  startIdentity,
  type Client,
  type Harness,
  type World,
} from './support/identity';

/**
 * Revocation does not stop at the gateway: identity itself refuses the access tokens of a session ended
 * by logout, a password change or refresh-token reuse, and of a suspended user; and it lists those
 * sessions for every other service's revocation feed.
 */
describe('identity refuses revoked access tokens', () => {
  let h: Harness;
  let api: Client;
  let w: World;

  beforeAll(async () => {
    h = await startIdentity();
    api = client(h.url);
    w = await buildWorld(h, api);
  }, 60_000);
  afterAll(() => h.stop());

  const me = (token: string) => api.get('/v1/me', token);
  const signIn = (email: string, password: string) => api.login(email, password, 'acme');

  it('carries the session in the access token (sid: the refresh-token family)', async () => {
    const s = await signIn('a2@example.com', 'client-a2-pass-1');
    expect(typeof (jwt.decode(s.accessToken) as jwt.JwtPayload).sid).toBe('string');
  });

  it("refuses a session's access token once it logged out, and lists the session for other services", async () => {
    const s = await signIn('a2@example.com', 'client-a2-pass-1');
    expect((await me(s.accessToken)).status).toBe(200);
    expect((await api.post('/v1/auth/logout', { refreshToken: s.refreshToken })).status).toBe(204);
    const after = await me(s.accessToken);
    expect(after.status).toBe(401);
    expect(after.body.code).toBe('auth.revoked');
    const other = await signIn('a2@example.com', 'client-a2-pass-1');
    expect((await me(other.accessToken)).status).toBe(200); // a new session is not affected
    const listed = await api.call('GET', IDENTITY_INTERNAL.revocations(new Date(Date.now() - 60_000)), {
      headers: { [SERVICE_KEY_HEADER]: SERVICE_KEY },
    });
    const sid = (jwt.decode(s.accessToken) as jwt.JwtPayload).sid as string;
    expect(listed.body.items).toContainEqual(expect.objectContaining({ kind: 'session', id: sid }));
  });

  it('refuses the access tokens of every session after a password change', async () => {
    const one = await signIn('a2@example.com', 'client-a2-pass-1');
    const two = await signIn('a2@example.com', 'client-a2-pass-1');
    const changed = await api.post(
      '/v1/auth/password/change',
      { currentPassword: 'client-a2-pass-1', newPassword: 'client-a2-pass-2' },
      one.accessToken,
    );
    expect(changed.status).toBe(204);
    expect((await me(one.accessToken)).status).toBe(401);
    expect((await me(two.accessToken)).status).toBe(401);
    const fresh = await signIn('a2@example.com', 'client-a2-pass-2');
    expect((await me(fresh.accessToken)).status).toBe(200);
  });

  it('refuses the access tokens of a session whose refresh token was reused', async () => {
    const s = await api.login('b1@example.com', 'client-b1-pass-1', 'bravo');
    const rotated = await api.post('/v1/auth/refresh', { refreshToken: s.refreshToken });
    expect(rotated.status).toBe(200);
    expect((await me(rotated.body.accessToken)).status).toBe(200);
    // The old refresh token again: someone else holds a copy. The whole session ends, access tokens too.
    expect((await api.post('/v1/auth/refresh', { refreshToken: s.refreshToken })).status).toBe(401);
    expect((await me(rotated.body.accessToken)).status).toBe(401);
    expect((await me(s.accessToken)).status).toBe(401);
  });

  it("refuses a suspended client's token at identity itself, not only at the gateway", async () => {
    expect((await me(w.clientA1.token)).status).toBe(200);
    const suspended = await api.post(
      `/v1/clients/${w.clientA1.id}/suspend`,
      { reason: 'fraud' },
      w.resellerA.token,
    );
    expect(suspended.status).toBeLessThan(300);
    const res = await me(w.clientA1.token);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('auth.revoked');
  });
});
