import { createHttpApp, createLogger, listen, rows, type ListeningServer } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { authRoutes } from '../src/http/auth.routes';
import { seedIdentityDemo, type IdentityDemo } from '../src/service';
import { client, startIdentity, type Client, type Harness } from './support/identity';

/** Whether an e-mail has an account here is not something sign-up or a reset request tells anyone. */
describe('account existence', () => {
  let h: Harness;
  let api: Client;
  let demo: IdentityDemo;

  beforeAll(async () => {
    h = await startIdentity({ signupNoticeWindowSec: 2 });
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
  }, 60_000);
  afterAll(() => h.stop());

  const users = async () =>
    (
      await h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from users`),
      )
    )[0]!.n;

  it('answers a sign-up with a known e-mail exactly like a new one, and leaves the account as it was', async () => {
    const signup = (email: string) =>
      api.post('/v1/auth/signup', {
        email,
        name: 'Someone',
        password: 'long-enough-pass-9',
        tenantSlug: 'acme',
      });
    const fresh = await signup('brand-new@example.com');
    const before = await users();
    const known = await signup(demo.resellerClient.email);
    expect({ status: known.status, body: known.body }).toEqual({ status: fresh.status, body: fresh.body });
    expect(known.status).toBe(202);
    expect(await users()).toBe(before);
    // The owner's password still works; the stranger's does not.
    await api.login(demo.resellerClient.email, demo.resellerClient.password, 'acme');
    const stranger = await api.post('/v1/auth/login', {
      email: demo.resellerClient.email,
      password: 'long-enough-pass-9',
      tenantSlug: 'acme',
    });
    expect(stranger.status).toBe(401);
  });

  const notices = async (userId: string) =>
    (
      await h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ envelope: { tenantId: string; data: Record<string, unknown> } }>(
          tx,
          sql`select envelope from outbox where type = 'identity.user.signup_existing.v1'
              and envelope->'data'->>'userId' = ${userId} order by id`,
        ),
      )
    ).map((r) => r.envelope);

  const noticesTo = async (email: string) =>
    h.db.withTenant({ kind: 'all' }, (tx) =>
      rows<{ tenant_id: string }>(
        tx,
        sql`select envelope->>'tenantId' as tenant_id from outbox
            where type = 'identity.user.signup_existing.v1' and envelope->'data'->>'email' = ${email}`,
      ),
    );

  const signupAs = (email: string, tenantSlug?: string) =>
    api.post('/v1/auth/signup', {
      email,
      name: 'Someone',
      password: 'long-enough-pass-9',
      ...(tenantSlug ? { tenantSlug } : {}),
    });

  it('tells the owner of a known e-mail by an event through the outbox, and nobody for a new one', async () => {
    const owner = demo.platformClient;
    const ownerId = (await api.login(owner.email, owner.password)).user.id;
    const before = await notices(ownerId);
    const res = await signupAs(owner.email.toUpperCase());
    expect(res.status).toBe(202);
    const after = await notices(ownerId);
    expect(after).toHaveLength(before.length + 1);
    const event = after[after.length - 1]!;
    expect(event.tenantId).toBe(owner.tenantId);
    expect(event.data).toEqual({
      tenantId: owner.tenantId,
      userId: ownerId,
      email: owner.email,
      locale: expect.any(String) as unknown,
      occurredAt: expect.any(String) as unknown,
    });
    await signupAs('someone-new@example.com');
    expect(await noticesTo('someone-new@example.com')).toHaveLength(0);
  });

  it('sends at most one notice per e-mail per window, so sign-up cannot mail-bomb an address', async () => {
    const victim = await api.post('/v1/auth/signup', {
      email: 'victim@example.com',
      name: 'Victim',
      password: 'victim-pass-123',
      tenantSlug: 'acme',
    });
    expect(victim.status).toBe(202);
    const id = (await api.login('victim@example.com', 'victim-pass-123', 'acme')).user.id;
    const burst = await Promise.all(Array.from({ length: 8 }, () => signupAs('victim@example.com', 'acme')));
    expect(burst.map((r) => r.status)).toEqual(Array.from({ length: 8 }, () => 202));
    expect(await notices(id)).toHaveLength(1);
    // The same address at another tenant is another account, with its own notice.
    expect(await noticesTo('victim@example.com')).toHaveLength(1);
    await signupAs('victim@example.com'); // creates the platform's own account
    await signupAs('victim@example.com'); // its owner is told
    expect(await notices(id)).toHaveLength(1);
    const told = await noticesTo('victim@example.com');
    expect(told.map((n) => n.tenant_id).sort()).toEqual(
      [demo.platformClient.tenantId, demo.reseller.tenantId].sort(),
    );
    // Once the window (2 s here) has passed, the owner may be told again.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    await signupAs('victim@example.com', 'acme');
    await signupAs('victim@example.com', 'acme');
    expect(await notices(id)).toHaveLength(2);
  });

  it('answers a password reset request before doing any work that depends on the e-mail', async () => {
    // A reset use case that never finishes: the answer must not wait for it.
    const app = createHttpApp({
      service: 'identity',
      logger: createLogger({ service: 'identity', level: 'silent' }),
      routes: [
        authRoutes({
          ...h.services,
          passwords: { ...h.services.passwords, requestReset: () => new Promise<void>(() => undefined) },
        }),
      ],
      verifier: h.running.built.verifier!,
    });
    const server: ListeningServer = await listen(app, 0);
    try {
      const res = await fetch(`${server.url}/v1/auth/password/reset-request`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: demo.resellerClient.email, tenantSlug: 'acme' }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(res.status).toBe(202);
    } finally {
      await server.close();
    }
  });
});
