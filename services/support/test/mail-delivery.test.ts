import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createInMemoryBus, newId, rows, type AuthContext, type Bus } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { IDENTITY_SERVICE_KEY, startIdentity, type IdentityHarness } from './support/identity';
import { startMailServer, type MailServer } from './support/mail-server';
import { client, startSupport, type Client, type Harness } from './support/support';

/**
 * Mail delivery beyond the templates: the sign-up-with-a-known-address notice. The real identity
 * (in-process) answers brands; mails go over real SMTP to local servers started by the test.
 */
describe('mail delivery', () => {
  let bus: Bus;
  let identity: IdentityHarness;
  let smtp: MailServer;
  let h: Harness;
  let api: Client;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const admin = (): { auth: AuthContext } => ({
    auth: { userId: newId(), role: 'admin', tenantId: PLATFORM_TENANT_ID, tokenId: 't', issuedAt: 0 },
  });
  let A: string;
  let B: string;
  let ana: { id: string; email: string };

  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }
  const drain = () => h.running.built.mailer.drain(clock.now);
  const makeReseller = async (slug: string, brandName: string, supportEmail: string) =>
    (
      await identity.services.resellers.create(admin(), {
        slug,
        brandName,
        customDomains: [],
        allowCustomProducts: false,
        supportEmail,
        owner: { email: `owner@${slug}.example`, name: `${brandName} Owner`, password: `${slug}-owner-pass-1` },
      })
    ).reseller.id;
  const mailsOf = async (tenantId: string, template: string) =>
    h.db.withTenant({ kind: 'tenant', tenantId }, (tx) =>
      rows<{ status: string; recipient: string; language: string }>(
        tx,
        sql`select status, recipient, language from mail_outbox where template = ${template} order by id`,
      ),
    );

  beforeAll(async () => {
    bus = createInMemoryBus();
    identity = await startIdentity(bus);
    smtp = await startMailServer();
    h = await startSupport(
      {
        now: () => clock.now,
        identityUrl: identity.url,
        serviceKey: IDENTITY_SERVICE_KEY,
        storefrontUrl: 'https://portal.platform.example',
        mail: { smtpUrl: smtp.url, from: 'bounces@platform.example', retryBaseMs: 60_000, maxAttempts: 3 },
      },
      { bus },
    );
    api = client(h.url);
    A = await makeReseller('acme', 'Acme Hosting', 'help@acme.example');
    B = await makeReseller('bravo', 'Bravo Hosting', 'help@bravo.example');
    const u = await identity.services.clients.insertClient(
      A,
      { email: 'ana@clients.example', name: 'Ana', password: 'a-client-pass-123', language: 'es', currency: 'EUR' },
      'admin',
      admin(),
    );
    ana = { id: u.id, email: 'ana@clients.example' };
    await eventually('support learns the client', async () => {
      const [r] = await h.db.withTenant({ kind: 'tenant', tenantId: A }, (tx) =>
        rows<{ n: number }>(tx, sql`select count(*)::int as n from mail_recipients where client_id = ${ana.id}`),
      );
      return r!.n === 1;
    });
    await drain(); // the welcome mail
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await identity?.stop();
    await bus?.close();
    await smtp?.stop();
  });

  describe('sign-up with an already registered address', () => {
    const signup = (tenantId: string, userId: string, email: string, locale: string | null) => ({
      tenantId,
      userId,
      email,
      locale,
      occurredAt: clock.now.toISOString(),
    });

    it('tells the account’s owner in its tenant’s brand and its language, once per event', async () => {
      const id = newId();
      await h.deliver('identity.user.signup_existing.v1', A, signup(A, ana.id, ana.email, null), id);
      await h.deliver('identity.user.signup_existing.v1', A, signup(A, ana.id, ana.email, null), id);
      expect(await drain()).toEqual({ sent: 1, retry: 0, failed: 0 });
      const got = smtp.to(ana.email).filter((r) => r.mail.headers.get('x-geminis-template') === 'signup_existing');
      expect(got).toHaveLength(1);
      const mail = got[0]!.mail;
      // Ana is a Spanish-speaking client of Acme
      expect(mail.subject).toBe('Alguien intentó registrarse en Acme Hosting con tu dirección');
      expect(mail.from?.value[0]).toEqual({ name: 'Acme Hosting', address: 'help@acme.example' });
      expect(mail.text).toContain('Hola Ana');
      expect(mail.text).toContain('https://portal.platform.example/login');
      expect(mail.text).toContain('https://portal.platform.example/forgot-password');
      expect(mail.text).not.toContain('Bravo');
    });

    it('uses the event’s locale for an account support knows no language of, English without one', async () => {
      const owner = newId();
      await h.deliver('identity.user.signup_existing.v1', B, signup(B, owner, 'owner@bravo.example', 'es-ES'));
      await h.deliver('identity.user.signup_existing.v1', B, signup(B, newId(), 'staff@bravo.example', null));
      expect(await drain()).toEqual({ sent: 2, retry: 0, failed: 0 });
      expect(smtp.to('owner@bravo.example').at(-1)!.mail.subject).toBe(
        'Alguien intentó registrarse en Bravo Hosting con tu dirección',
      );
      expect(smtp.to('staff@bravo.example').at(-1)!.mail.subject).toBe(
        'Someone tried to sign up at Bravo Hosting with your address',
      );
    });

    it('uses the tenant’s own override of the template, and only for that tenant', async () => {
      const put = await api.put(
        '/v1/support/notification-templates/signup_existing/en',
        {
          subject: 'Sign-up attempt at {{brandName}}',
          html: '<p>{{email}} already has an account: <a href="{{resetUrl}}">reset</a></p>',
          text: '{{email}} already has an account: {{resetUrl}}',
        },
        h.issuer.tokenFor('reseller', B),
      );
      expect(put.status).toBe(200);
      await h.deliver('identity.user.signup_existing.v1', B, signup(B, newId(), 'carl@bravo.example', 'en'));
      await h.deliver('identity.user.signup_existing.v1', A, signup(A, newId(), 'dora@acme.example', 'en'));
      await drain();
      expect(smtp.to('carl@bravo.example').at(-1)!.mail.subject).toBe('Sign-up attempt at Bravo Hosting');
      expect(smtp.to('dora@acme.example').at(-1)!.mail.subject).toBe(
        'Someone tried to sign up at Acme Hosting with your address',
      );
    });

    it('mails nothing when the payload names another tenant than the event', async () => {
      const before = (await mailsOf(B, 'signup_existing')).length;
      await h.deliver('identity.user.signup_existing.v1', B, signup(A, ana.id, ana.email, null));
      expect(await mailsOf(B, 'signup_existing')).toHaveLength(before);
    });
  });
});
