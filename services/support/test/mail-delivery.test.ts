import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createInMemoryBus, newId, rows, type AuthContext, type Bus } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import { IDENTITY_SERVICE_KEY, startIdentity, type IdentityHarness } from './support/identity';
import { startMailServer, type MailServer } from './support/mail-server';
import { client, countRows, SERVICE_KEY, startSupport, type Client, type Harness } from './support/support';

/**
 * Mail delivery beyond the templates: the sign-up-with-a-known-address notice, and bounces (delivery
 * status notifications shaped as Postfix sends them, over support's SMTP listener and by piping), and a
 * tenant's own SMTP server (an authenticating local SMTP server). The real identity
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
        owner: {
          email: `owner@${slug}.example`,
          name: `${brandName} Owner`,
          password: `${slug}-owner-pass-1`,
        },
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
        mail: {
          smtpUrl: smtp.url,
          from: 'bounces@platform.example',
          retryBaseMs: 60_000,
          maxAttempts: 3,
          softBounceRetryMs: 30 * 60_000,
          allowPrivateSmtp: true,
        },
        inboundSmtp: { port: 0, host: '127.0.0.1' },
      },
      { bus },
    );
    api = client(h.url);
    A = await makeReseller('acme', 'Acme Hosting', 'help@acme.example');
    B = await makeReseller('bravo', 'Bravo Hosting', 'help@bravo.example');
    const u = await identity.services.clients.insertClient(
      A,
      {
        email: 'ana@clients.example',
        name: 'Ana',
        password: 'a-client-pass-123',
        language: 'es',
        currency: 'EUR',
      },
      'admin',
      admin(),
    );
    ana = { id: u.id, email: 'ana@clients.example' };
    await eventually('support learns the client', async () => {
      const [r] = await h.db.withTenant({ kind: 'tenant', tenantId: A }, (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from mail_recipients where client_id = ${ana.id}`,
        ),
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
  }, 30_000);

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
      const got = smtp
        .to(ana.email)
        .filter((r) => r.mail.headers.get('x-geminis-template') === 'signup_existing');
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

    it('mails the owner when identity answers a sign-up with its address like a new one (end to end)', async () => {
      const before = (await mailsOf(A, 'signup_existing')).length;
      const res = await fetch(`${identity.url}/v1/auth/signup`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          tenantSlug: 'acme',
          email: ana.email,
          name: 'Somebody Else',
          password: 'someone-elses-pass-1',
          language: 'en',
          currency: 'EUR',
        }),
      });
      expect(res.status).toBe(202);
      await eventually('identity’s notice reaches support', async () => {
        return (await mailsOf(A, 'signup_existing')).length === before + 1;
      });
      const sentBefore = smtp.to(ana.email).length;
      await drain();
      const got = smtp.to(ana.email).slice(sentBefore);
      expect(got).toHaveLength(1);
      // the account's language, not the one typed into the sign-up form
      expect(got[0]!.mail.subject).toBe('Alguien intentó registrarse en Acme Hosting con tu dirección');
      expect(got[0]!.mail.text).not.toContain('someone-elses-pass-1');
    });

    it('uses the event’s locale for an account support knows no language of, English without one', async () => {
      const owner = newId();
      await h.deliver(
        'identity.user.signup_existing.v1',
        B,
        signup(B, owner, 'owner@bravo.example', 'es-ES'),
      );
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
  describe('bounces', () => {
    const notice = async (tenantId: string, email: string) => {
      const id = newId();
      await h.deliver(
        'identity.user.signup_existing.v1',
        tenantId,
        {
          tenantId,
          userId: newId(),
          email,
          locale: 'en',
          occurredAt: clock.now.toISOString(),
        },
        id,
      );
      const [m] = await h.db.withTenant({ kind: 'tenant', tenantId }, (tx) =>
        rows<{ id: string }>(tx, sql`select id from mail_outbox where event_id = ${id}`),
      );
      return m!.id;
    };
    const mailLog = async (tenantId: string, status: string) =>
      (await api.get(`/v1/support/mail-log?status=${status}`, h.issuer.tokenFor('reseller', tenantId))).body
        .items as Record<string, any>[];

    /** A delivery status notification as Postfix writes it, returning the headers of our mail. */
    const dsn = (o: { mailId: string; to: string; action: string; status: string; diagnostic: string }) =>
      [
        'Return-Path: <>',
        `Message-ID: <${newId()}@mx.clients.example>`,
        'Date: Mon, 30 Nov 2026 10:05:00 +0000 (UTC)',
        'From: MAILER-DAEMON@mx.clients.example (Mail Delivery System)',
        'Subject: Undelivered Mail Returned to Sender',
        'To: bounces@platform.example',
        'Auto-Submitted: auto-replied',
        'MIME-Version: 1.0',
        'Content-Type: multipart/report; report-type=delivery-status;',
        '\tboundary="8C3A1F2E.1764497100/mx.clients.example"',
        'Content-Transfer-Encoding: 8bit',
        '',
        'This is a MIME-encapsulated message.',
        '',
        '--8C3A1F2E.1764497100/mx.clients.example',
        'Content-Description: Notification',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'This is the mail system at host mx.clients.example.',
        '',
        "I'm sorry to have to inform you that your message could not",
        'be delivered to one or more recipients.',
        '',
        `<${o.to}>: ${o.diagnostic}`,
        '',
        '--8C3A1F2E.1764497100/mx.clients.example',
        'Content-Description: Delivery report',
        'Content-Type: message/delivery-status',
        '',
        'Reporting-MTA: dns; mx.clients.example',
        'X-Postfix-Queue-ID: 8C3A1F2E',
        'X-Postfix-Sender: rfc822; bounces@platform.example',
        'Arrival-Date: Mon, 30 Nov 2026 10:00:01 +0000 (UTC)',
        '',
        `Final-Recipient: rfc822; ${o.to}`,
        `Original-Recipient: rfc822;${o.to}`,
        `Action: ${o.action}`,
        `Status: ${o.status}`,
        `Remote-MTA: dns; mailbox.clients.example`,
        `Diagnostic-Code: smtp; ${o.diagnostic}`,
        '',
        '--8C3A1F2E.1764497100/mx.clients.example',
        'Content-Description: Undelivered Message Headers',
        'Content-Type: text/rfc822-headers',
        '',
        'Return-Path: <bounces@platform.example>',
        'From: Bravo Hosting <help@bravo.example>',
        `To: ${o.to}`,
        'Subject: Someone tried to sign up at Bravo Hosting with your address',
        `Message-ID: <${o.mailId}@platform.example>`,
        'Auto-Submitted: auto-generated',
        'X-Geminis-Template: signup_existing',
        '',
        '--8C3A1F2E.1764497100/mx.clients.example--',
        '',
      ].join('\r\n');

    const pipe = (raw: string) =>
      fetch(`${h.url}/internal/v1/support/inbound-mail`, {
        method: 'POST',
        headers: { 'content-type': 'message/rfc822', 'x-geminis-service-key': SERVICE_KEY },
        body: raw,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

    let suppressionId: string;

    it('suppresses an address that bounced for good (a DSN on the SMTP listener) and mails it no more', async () => {
      const first = await notice(B, 'Gone@clients.example');
      await drain();
      expect(smtp.to('Gone@clients.example')).toHaveLength(1);
      const mta = nodemailer.createTransport({
        host: '127.0.0.1',
        port: h.running.built.inboundSmtpPort!,
        secure: false,
        ignoreTLS: true,
      });
      await mta.sendMail({
        envelope: { from: 'MAILER-DAEMON@mx.clients.example', to: ['bounces@platform.example'] },
        raw: dsn({
          mailId: first,
          to: 'gone@clients.example',
          action: 'failed',
          status: '5.1.1',
          diagnostic: '550 5.1.1 <gone@clients.example>: Recipient address rejected: User unknown',
        }),
      });
      mta.close();
      expect(await mailLog(B, 'bounced')).toEqual([
        expect.objectContaining({
          id: first,
          status: 'bounced',
          lastError: expect.stringMatching(/^hard bounce 5\.1\.1/),
        }),
      ]);
      const list = await api.get('/v1/support/mail-suppressions', h.issuer.tokenFor('reseller', B));
      expect(list.body.items).toEqual([
        expect.objectContaining({
          email: 'gone@clients.example',
          reason: 'hard_bounce',
          statusCode: '5.1.1',
          mailId: first,
        }),
      ]);
      suppressionId = list.body.items[0].id;
      // later mail to the address (any case) is not sent, and says why
      const second = await notice(B, 'gone@clients.example');
      await drain();
      expect(smtp.to('gone@clients.example')).toHaveLength(0);
      expect(smtp.to('Gone@clients.example')).toHaveLength(1);
      expect(await mailLog(B, 'suppressed')).toEqual([
        expect.objectContaining({ id: second, lastError: expect.stringContaining('bounced (5.1.1)') }),
      ]);
      // the same address is still mailed in another tenant
      await notice(A, 'gone@clients.example');
      await drain();
      expect(smtp.to('gone@clients.example')).toHaveLength(1);
    });

    it('keeps suppressions per tenant: another tenant neither sees nor lifts one (the same 404 as a missing id)', async () => {
      const other = h.issuer.tokenFor('reseller', A);
      expect((await api.get('/v1/support/mail-suppressions', other)).body.items).toEqual([]);
      const foreign = await api.del(`/v1/support/mail-suppressions/${suppressionId}`, other);
      const missing = await api.del(`/v1/support/mail-suppressions/${newId()}`, other);
      expect(foreign.status).toBe(404);
      expect(foreign.body.code).toBe(missing.body.code);
      expect(await countRows(h, 'mail_suppressions')).toBe(1);
      const bad = await api.get(
        '/v1/support/mail-suppressions?email=not-an-address',
        h.issuer.tokenFor('reseller', B),
      );
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).toContain('email');
      expect(
        (await api.get('/v1/support/mail-suppressions', h.issuer.tokenFor('client', B, newId()))).status,
      ).toBe(403);
    });

    it('mails the address again once staff lift its suppression', async () => {
      const lifted = await api.del(
        `/v1/support/mail-suppressions/${suppressionId}`,
        h.issuer.tokenFor('reseller', B),
      );
      expect(lifted.status).toBe(204);
      await notice(B, 'gone@clients.example');
      await drain();
      expect(smtp.to('gone@clients.example')).toHaveLength(2);
    });

    it('sends a mail again later after a soft bounce (mailbox full), without suppressing the address', async () => {
      const id = await notice(B, 'full@clients.example');
      await drain();
      const answer = await pipe(
        dsn({
          mailId: id,
          to: 'full@clients.example',
          action: 'failed',
          status: '4.2.2',
          diagnostic: '452 4.2.2 <full@clients.example>: Mailbox full',
        }),
      );
      expect(answer.body).toEqual({ status: 'bounced', bounce: 'soft' });
      expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 0 });
      const before = clock.now;
      clock.now = new Date(before.getTime() + 31 * 60_000);
      try {
        expect(await drain()).toEqual({ sent: 1, retry: 0, failed: 0 });
      } finally {
        clock.now = before;
      }
      expect(smtp.to('full@clients.example')).toHaveLength(2);
      const list = await api.get('/v1/support/mail-suppressions', h.issuer.tokenFor('reseller', B));
      expect(list.body.items.map((x: { email: string }) => x.email)).not.toContain('full@clients.example');
    });

    it('drops a report about no mail of ours, and writes nothing', async () => {
      const before = await countRows(h, 'mail_suppressions');
      const answer = await pipe(
        dsn({
          mailId: newId(),
          to: 'x@clients.example',
          action: 'failed',
          status: '5.1.1',
          diagnostic: '550 unknown',
        }),
      );
      expect(answer.body).toEqual({ status: 'dropped', reason: 'bounce_unmatched' });
      expect(await countRows(h, 'mail_suppressions')).toBe(before);
    });
  });
  describe('a tenant’s own SMTP server', () => {
    let own: MailServer;
    const password = 'acme-smtp-pass-0123';
    const settings = () => ({
      host: '127.0.0.1',
      port: own.port,
      security: 'none',
      username: 'acme-mailer',
      password,
    });
    const tell = (tenantId: string, email: string) =>
      h.deliver('identity.user.signup_existing.v1', tenantId, {
        tenantId,
        userId: newId(),
        email,
        locale: 'en',
        occurredAt: clock.now.toISOString(),
      });

    beforeAll(async () => {
      own = await startMailServer({ auth: { user: 'acme-mailer', pass: password } });
    });
    afterAll(() => own.stop());

    it('stores the server with its password sealed, and never answers the password', async () => {
      const put = await api.put('/v1/support/smtp-settings', settings(), h.issuer.tokenFor('reseller', A));
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({
        tenantId: A,
        host: '127.0.0.1',
        username: 'acme-mailer',
        passwordSet: true,
      });
      const got = await api.get('/v1/support/smtp-settings', h.issuer.tokenFor('reseller', A));
      expect(got.body).toEqual(put.body);
      expect(JSON.stringify(got.body)).not.toContain(password);
      const [row] = await h.db.withTenant({ kind: 'tenant', tenantId: A }, (tx) =>
        rows<{ password_sealed: string }>(tx, sql`select password_sealed from tenant_smtp_settings`),
      );
      expect(row!.password_sealed).toMatch(/^v1\./);
      expect(row!.password_sealed).not.toContain(password);
    });

    it('tests the connection: authenticated, or why not (without the password)', async () => {
      const ok = await api.post('/v1/support/smtp-settings/test', {}, h.issuer.tokenFor('reseller', A));
      expect(ok.body).toEqual({ ok: true, error: null });
      expect(own.received).toHaveLength(0);
      // a wrong password (kept in place of the right one) fails the test, and says so
      await api.put(
        '/v1/support/smtp-settings',
        { ...settings(), password: 'wrong-password-99' },
        h.issuer.tokenFor('reseller', A),
      );
      const bad = await api.post('/v1/support/smtp-settings/test', {}, h.issuer.tokenFor('reseller', A));
      expect(bad.status).toBe(200);
      expect(bad.body.ok).toBe(false);
      expect(bad.body.error).toMatch(/535|Invalid/);
      expect(bad.body.error).not.toContain('wrong-password-99');
      const view = await api.get('/v1/support/smtp-settings', h.issuer.tokenFor('reseller', A));
      expect(view.body).toMatchObject({ lastTestOk: false });
      // changing the host or port without a password keeps the stored one
      await api.put('/v1/support/smtp-settings', settings(), h.issuer.tokenFor('reseller', A));
      const { password: _omitted, ...withoutPassword } = settings();
      const kept = await api.put(
        '/v1/support/smtp-settings',
        withoutPassword,
        h.issuer.tokenFor('reseller', A),
      );
      expect(kept.body.passwordSet).toBe(true);
      expect(
        (await api.post('/v1/support/smtp-settings/test', {}, h.issuer.tokenFor('reseller', A))).body.ok,
      ).toBe(true);
    });

    it('sends the tenant’s mail through its own server, and other tenants’ through the platform’s', async () => {
      // the platform tenant's own server is the platform's business: a reseller never inherits it
      const platformOwn = await api.put(
        '/v1/support/smtp-settings',
        settings(),
        h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
      );
      expect(platformOwn.status).toBe(200);
      await tell(A, 'eva@clients.example');
      await tell(B, 'bea@clients.example');
      expect(await drain()).toEqual({ sent: 2, retry: 0, failed: 0 });
      const [viaOwn] = own.to('eva@clients.example');
      expect(viaOwn).toBeDefined();
      expect(viaOwn!.user).toBe('acme-mailer');
      expect(viaOwn!.mail.from?.value[0]?.address).toBe('help@acme.example');
      // its bounces go to the tenant: its server may refuse to relay for the platform's address
      expect(viaOwn!.envelope.from).toBe('help@acme.example');
      expect(smtp.to('eva@clients.example')).toHaveLength(0);
      expect(smtp.to('bea@clients.example')).toHaveLength(1);
      expect(own.to('bea@clients.example')).toHaveLength(0);
      await api.del('/v1/support/smtp-settings', h.issuer.tokenFor('admin', PLATFORM_TENANT_ID));
    });

    it('keeps the tenant’s mail while its server is down (nothing lost), and goes back to the platform’s when removed', async () => {
      await own.stop();
      await tell(A, 'fay@clients.example');
      expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
      expect(smtp.to('fay@clients.example')).toHaveLength(0);
      const removed = await api.del('/v1/support/smtp-settings', h.issuer.tokenFor('reseller', A));
      expect(removed.status).toBe(204);
      expect((await api.get('/v1/support/smtp-settings', h.issuer.tokenFor('reseller', A))).status).toBe(404);
      const before = clock.now;
      clock.now = new Date(before.getTime() + 2 * 60_000);
      try {
        expect(await drain()).toEqual({ sent: 1, retry: 0, failed: 0 });
      } finally {
        clock.now = before;
      }
      expect(smtp.to('fay@clients.example')).toHaveLength(1);
      await own.start();
    });
  });
});
