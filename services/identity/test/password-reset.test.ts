import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { newTenantToken } from '../src/domain/crypto';
import { seedIdentityDemo, type IdentityDemo } from '../src/service';
import { insertOneTimeToken } from '../src/store/tokens.store';
import { client, startIdentity, type Client, type Harness } from './support/identity';

/** A reset link works once, and only the newest one asked for: every other link dies with it. */
describe('password reset links', () => {
  let h: Harness;
  let api: Client;
  let demo: IdentityDemo;
  let acme: Awaited<ReturnType<Harness['services']['tenants']['resolve']>>;

  beforeAll(async () => {
    h = await startIdentity();
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
    acme = await h.services.tenants.resolve({ slug: 'acme' });
  }, 60_000);
  afterAll(() => h.stop());

  const user = () => demo.resellerClient;
  const scope = () => tenantScope(user().tenantId);

  /** The reset ids announced for the demo client, oldest first. */
  const resetIds = async () =>
    (
      await h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ reset_id: string }>(
          tx,
          sql`select envelope->'data'->>'resetId' as reset_id from outbox
              where type = 'identity.password_reset.requested.v1'
                and envelope->'data'->>'email' = ${user().email} order by id`,
        ),
      )
    ).map((r) => r.reset_id);

  /** Asks for a reset (as the route does, after answering) and returns the link's token. */
  async function requestLink(): Promise<string> {
    const before = (await resetIds()).length;
    await h.services.passwords.requestReset(acme, user().email);
    const ids = await resetIds();
    expect(ids).toHaveLength(before + 1);
    const token = await h.services.passwords.resetTokenFor(user().tenantId, ids[ids.length - 1]!);
    expect(token).toBeDefined();
    return token!;
  }

  const liveLinks = async () =>
    (
      await h.db.withTenant(scope(), (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from one_time_tokens t join users u on u.id = t.user_id
              where lower(u.email) = ${user().email} and t.purpose = 'password_reset'
                and t.used_at is null and t.expires_at > now()`,
        ),
      )
    )[0]!.n;

  const resetWith = (token: string, newPassword: string) =>
    api.post('/v1/auth/password/reset', { token, newPassword });

  it('voids an earlier unused link when a new reset is asked for', async () => {
    const first = await requestLink();
    const second = await requestLink();
    expect(await liveLinks()).toBe(1);
    const old = await resetWith(first, 'first-link-pass-1');
    expect(old.status).toBe(400);
    expect(old.body.code).toBe('identity.invalid_reset_token');
    expect((await resetWith(second, 'second-link-pass-2')).status).toBe(204);
    await api.login(user().email, 'second-link-pass-2', 'acme');
    user().password = 'second-link-pass-2';
  });

  it('leaves one live link when two resets are asked for at the same moment', async () => {
    await Promise.all(Array.from({ length: 4 }, () => h.services.passwords.requestReset(acme, user().email)));
    expect(await liveLinks()).toBe(1);
  });

  it('voids every other link of the user once any one of them is used', async () => {
    const asked = await requestLink();
    // A second live link (one asked for in any other way): using the first must void it too.
    const other = newTenantToken(user().tenantId);
    await h.db.withTenant(scope(), (tx) =>
      insertOneTimeToken(tx, scope(), {
        id: newId(),
        userId: user().id,
        purpose: 'password_reset',
        hash: other.hash,
        ttlSec: 3600,
      }),
    );
    expect(await liveLinks()).toBe(2);
    expect((await resetWith(asked, 'third-link-pass-3')).status).toBe(204);
    expect(await liveLinks()).toBe(0);
    expect((await resetWith(other.token, 'other-link-pass-4')).status).toBe(400);
    await api.login(user().email, 'third-link-pass-3', 'acme');
    user().password = 'third-link-pass-3';
  });

  it('voids a pending link when the password is changed', async () => {
    const pending = await requestLink();
    const s = await api.login(user().email, user().password, 'acme');
    const changed = await api.post(
      '/v1/auth/password/change',
      { currentPassword: user().password, newPassword: 'changed-pass-5x' },
      s.accessToken,
    );
    expect(changed.status).toBe(204);
    expect((await resetWith(pending, 'pending-link-pass-6')).status).toBe(400);
    await api.login(user().email, 'changed-pass-5x', 'acme');
  });
});
