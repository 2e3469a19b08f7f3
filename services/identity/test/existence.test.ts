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
    h = await startIdentity();
    api = client(h.url);
    demo = await seedIdentityDemo(h.db, h.services);
  }, 60_000);
  afterAll(() => h.stop());

  const users = async () =>
    (await h.db.transaction((tx) => rows<{ n: number }>(tx, sql`select count(*)::int as n from users`)))[0]!
      .n;

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
