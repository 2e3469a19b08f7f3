import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createInMemoryBus, newId, rows, type AuthContext, type Bus } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { IDENTITY_SERVICE_KEY, startIdentity, type IdentityHarness } from './support/identity';
import { startMailServer, type MailServer } from './support/mail-server';
import { client, countRows, dept, startSupport, type Client, type Harness } from './support/support';

/**
 * Notifications end to end: the real identity (in-process, its own database) announces clients and
 * answers brands; support queues mails from events in PostgreSQL and sends them with nodemailer over
 * real SMTP to a local SMTP server started by the test, where they are parsed.
 */
describe('notifications in the tenant’s brand', () => {
  let bus: Bus;
  let identity: IdentityHarness;
  let smtp: MailServer;
  let h: Harness;
  let api: Client;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const later = (minutes: number) => {
    clock.now = new Date(clock.now.getTime() + minutes * 60_000);
    return clock.now;
  };
  const admin = (): { auth: AuthContext } => ({
    auth: { userId: newId(), role: 'admin', tenantId: PLATFORM_TENANT_ID, tokenId: 't', issuedAt: 0 },
  });
  let A: string;
  let B: string;
  let clientA: { id: string; email: string };
  let clientB: { id: string; email: string };
  let tokens: { resellerA: string; resellerB: string; clientA: string; admin: string };

  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }
  const recipientKnown = async (tenantId: string, clientId: string) => {
    const [r] = await h.db.withTenant({ kind: 'tenant', tenantId }, (tx) =>
      rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from mail_recipients where client_id = ${clientId}`,
      ),
    );
    return r!.n === 1;
  };
  const drain = () => h.running.built.mailer.drain(clock.now);
  const makeReseller = async (slug: string, brandName: string, extra: object) =>
    (
      await identity.services.resellers.create(admin(), {
        slug,
        brandName,
        customDomains: [],
        allowCustomProducts: false,
        owner: {
          email: `owner@${slug}.example`,
          name: `${brandName} Owner`,
          password: `${slug}-owner-pass-1`,
        },
        ...extra,
      })
    ).reseller.id;
  const makeClient = async (tenantId: string, email: string, name: string, language: string) => {
    const u = await identity.services.clients.insertClient(
      tenantId,
      { email, name, password: 'a-client-pass-123', language, currency: 'EUR' },
      'admin',
      admin(),
    );
    return { id: u.id, email };
  };

  beforeAll(async () => {
    bus = createInMemoryBus();
    identity = await startIdentity(bus);
    smtp = await startMailServer({ refuse: ['gone@clients.example'] });
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
          breaker: { volumeThreshold: 2, resetTimeoutMs: 200 },
        },
        reply: { secret: 'reply-secret-that-is-long-enough-0123456789', domain: 'reply.platform.example' },
      },
      { bus },
    );
    api = client(h.url);
    A = await makeReseller('acme', 'Acme <Hosting>', {
      logoUrl: 'https://cdn.acme.example/logo.png',
      supportEmail: 'help@acme.example',
    });
    B = await makeReseller('bravo', 'Bravo Hosting', { supportEmail: 'help@bravo.example' });
    clientA = await makeClient(A, 'ana@clients.example', 'Ana <b>Pérez</b>', 'es');
    clientB = await makeClient(B, 'bob@clients.example', 'Bob', 'en');
    await eventually('support learns both clients from identity’s events', async () => {
      return (await recipientKnown(A, clientA.id)) && (await recipientKnown(B, clientB.id));
    });
    tokens = {
      resellerA: h.issuer.tokenFor('reseller', A),
      resellerB: h.issuer.tokenFor('reseller', B),
      clientA: h.issuer.tokenFor('client', A, clientA.id),
      admin: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
    };
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await identity?.stop();
    await bus?.close();
    await smtp?.stop();
  });

  it('welcomes a client in its reseller’s brand and language, over SMTP', async () => {
    await drain();
    const [got, ...more] = smtp.to(clientA.email);
    expect(more).toHaveLength(0);
    const mail = got!.mail;
    expect(mail.subject).toBe('Bienvenido a Acme <Hosting>');
    expect(mail.from?.value[0]).toEqual({ name: 'Acme <Hosting>', address: 'help@acme.example' });
    // bounces go to the platform, not to the reseller's address
    expect(got!.envelope.from).toBe('bounces@platform.example');
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated');
    expect(mail.html).toContain('src="https://cdn.acme.example/logo.png"');
    // values are escaped in HTML: the client's name cannot add markup
    expect(mail.html).toContain('Hola Ana &lt;b&gt;Pérez&lt;/b&gt;');
    expect(mail.html).not.toContain('<b>Pérez</b>');
    expect(mail.text).toContain('Hola Ana <b>Pérez</b>');
    // B's client gets B's brand, in English
    const [b] = smtp.to(clientB.email);
    expect(b!.mail.subject).toBe('Welcome to Bravo Hosting');
    expect(b!.mail.from?.value[0]?.address).toBe('help@bravo.example');
    expect(b!.mail.html).not.toContain('Acme');
  });

  it('mails an issued invoice with its total in the client’s language, once per event however often it is delivered', async () => {
    const eventId = newId();
    const data = {
      invoiceId: newId(),
      number: 'INV-2026-000042',
      clientId: clientB.id,
      currency: 'EUR',
      subtotal: 1234,
      tax: 0,
      total: 1234,
      dueDate: '2026-12-14',
      reason: 'renewal',
    };
    await h.deliver('billing.invoice.issued.v1', B, data, eventId);
    await h.deliver('billing.invoice.issued.v1', B, data, eventId);
    await drain();
    await drain();
    const invoices = smtp.to(clientB.email).filter((r) => r.mail.subject?.includes('INV-2026-000042'));
    expect(invoices).toHaveLength(1);
    expect(invoices[0]!.mail.text).toContain('€12.34');
    expect(invoices[0]!.mail.text).toContain('2026-12-14');
    // a 0-decimal currency in Spanish for A's client
    await h.deliver('billing.invoice.paid.v1', A, {
      invoiceId: newId(),
      number: 'A-7',
      clientId: clientA.id,
      currency: 'JPY',
      total: 123456,
      paidAt: clock.now.toISOString(),
    });
    await drain();
    const paid = smtp.to(clientA.email).find((r) => r.mail.subject === 'Pago recibido de A-7');
    expect(paid?.mail.text).toMatch(/123\.456\s*(JPY|¥|￥)/);
  });

  it('mails reminders before the due date, overdue notices after it, late fees and declined charges', async () => {
    const invoice = {
      invoiceId: newId(),
      number: 'INV-R-1',
      clientId: clientB.id,
      currency: 'EUR',
      dueDate: '2026-12-10',
    };
    await h.deliver('billing.invoice.reminder_due.v1', B, { ...invoice, balance: 2500, offsetDays: -3 });
    await h.deliver('billing.invoice.reminder_due.v1', B, { ...invoice, balance: 2500, offsetDays: 5 });
    await h.deliver('billing.invoice.late_fee_applied.v1', B, { ...invoice, fee: 500, total: 3000 });
    await h.deliver('billing.invoice.auto_charge_failed.v1', B, {
      invoiceId: invoice.invoiceId,
      number: 'INV-R-1',
      clientId: clientB.id,
      currency: 'EUR',
      amount: 3000,
      attempt: 1,
      code: 'card_declined',
      declineCode: 'insufficient_funds',
      reason: 'Your card has insufficient funds.',
      nextAttemptOn: null,
    });
    await drain();
    const mails = smtp.to(clientB.email);
    const bySubject = (s: string) => mails.find((r) => r.mail.subject === s);
    expect(bySubject('Reminder: invoice INV-R-1 is due on 2026-12-10')?.mail.text).toContain('€25.00 to pay');
    expect(bySubject('Overdue: invoice INV-R-1')?.mail.text).toContain('(5 days ago)');
    expect(bySubject('A late fee was added to invoice INV-R-1')?.mail.text).toContain('€5.00');
    const declined = bySubject('We could not charge your card for INV-R-1')!;
    expect(declined.mail.text).toContain('Next attempt: none');
    // the processor's codes are staff's, not the client's
    expect(declined.raw).not.toMatch(/insufficient_funds|card_declined/);
  });

  it('mails a registered and a renewed domain to the client billing named in its request', async () => {
    const domainServiceId = newId();
    await h.deliver('billing.domain.register_requested.v1', A, {
      domainServiceId,
      orderId: newId(),
      invoiceId: newId(),
      client: { clientId: clientA.id, email: clientA.email, name: 'Ana' },
      domain: 'ana-example.com',
      tld: '.com',
      years: 1,
      nameservers: [],
      privacy: false,
      registrant: {
        firstName: 'Ana',
        lastName: 'Pérez',
        email: 'ana@example.com',
        phone: '+34.600000000',
        address1: 'Calle 1',
        city: 'Madrid',
        postcode: '28001',
        country: 'ES',
      },
    });
    const result = { domainServiceId, domain: 'ana-example.com', registrar: 'namecom' };
    await h.deliver('provisioning.domain.registered.v1', A, { ...result, expiresAt: '2027-11-30T00:00:00Z' });
    await h.deliver('provisioning.domain.renewed.v1', A, { ...result, expiresAt: '2028-11-30T00:00:00Z' });
    // a domain support never saw requested: nobody to tell
    await h.deliver('provisioning.domain.renewed.v1', A, {
      ...result,
      domainServiceId: newId(),
      expiresAt: '2028-11-30T00:00:00Z',
    });
    await drain();
    const subjects = smtp.to(clientA.email).map((r) => r.mail.subject);
    expect(subjects).toContain('ana-example.com está registrado');
    expect(subjects.filter((x) => x === 'ana-example.com fue renovado')).toHaveLength(1);
  });

  // the ready mail (with its panel login fetched from provisioning): provisioned-mail.test.ts
  it('tells the client when its service is suspended, back, and on a new plan', async () => {
    const serviceId = newId();
    const base = { serviceId, clientId: clientB.id, module: 'cpanel' };
    await h.deliver('provisioning.service.suspended.v1', B, base);
    await h.deliver('provisioning.service.unsuspended.v1', B, base);
    await h.deliver('provisioning.service.package_changed.v1', B, {
      ...base,
      changeId: newId(),
      productId: newId(),
      package: 'business',
    });
    await drain();
    const subjects = smtp.to(clientB.email).map((r) => r.mail.subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        'Your service was suspended',
        'Your service is active again',
        'Your plan was changed',
      ]),
    );
  });

  it('keeps a mail while SMTP is down and sends it exactly once when it is back', async () => {
    await smtp.stop();
    const eventId = newId();
    await h.deliver(
      'provisioning.service.suspended.v1',
      B,
      { serviceId: newId(), clientId: clientB.id, module: 'none' },
      eventId,
    );
    const before = smtp.received.length;
    expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
    // not due yet: nothing is tried again before its backoff
    expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 0 });
    await smtp.start();
    later(2);
    expect(await drain()).toEqual({ sent: 1, retry: 0, failed: 0 });
    later(60);
    expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 0 });
    expect(smtp.received.length).toBe(before + 1);
    const log = await api.get(`/v1/support/mail-log?clientId=${clientB.id}&status=sent`, tokens.resellerB);
    const entry = log.body.items.find((m: { attempts: number }) => m.attempts === 2);
    expect(entry).toMatchObject({ status: 'sent', recipient: clientB.email, lastError: null });
  });

  it('loses nothing in a long outage: the server being down never uses up a mail’s attempts', async () => {
    await smtp.stop();
    await h.deliver('provisioning.service.unsuspended.v1', B, {
      serviceId: newId(),
      clientId: clientB.id,
      module: 'none',
    });
    const before = smtp.received.length;
    // far more rounds than maxAttempts (3), an hour apart; the breaker opens on the way
    for (let i = 0; i < 6; i += 1) {
      expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
      later(61);
    }
    await smtp.start();
    // the breaker lets a trial through once its reset time (200 ms here) has passed
    await new Promise((r) => setTimeout(r, 300));
    expect(await drain()).toEqual({ sent: 1, retry: 0, failed: 0 });
    expect(smtp.received.length).toBe(before + 1);
  });

  it('fails a mail the server refuses for good (550) at once, without retrying it', async () => {
    const gone = newId();
    await h.deliver('identity.client.created.v1', B, {
      clientId: gone,
      email: 'gone@clients.example',
      name: 'Gone',
      language: 'en',
      currency: 'EUR',
      via: 'reseller',
    });
    expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 1 });
    later(120);
    expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 0 });
    const log = await api.get(`/v1/support/mail-log?clientId=${gone}`, tokens.resellerB);
    expect(log.body.items).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 1, lastError: expect.stringMatching(/550/) }),
    ]);
  });

  it('waits for the address of a client support does not know yet, then logs the mail failed and sends nothing', async () => {
    const stranger = newId();
    const before = smtp.received.length;
    await h.deliver('provisioning.service.suspended.v1', A, {
      serviceId: newId(),
      clientId: stranger,
      module: 'none',
    });
    expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
    later(2);
    expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
    later(3);
    expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 1 });
    expect(smtp.received.length).toBe(before);
    const log = await api.get(`/v1/support/mail-log?clientId=${stranger}`, tokens.resellerA);
    expect(log.body.items).toEqual([
      expect.objectContaining({
        status: 'failed',
        recipient: null,
        lastError: expect.stringMatching(/no email address/),
      }),
    ]);
  });

  it('sends a mail queued before its client was announced once the address arrives', async () => {
    const late = newId();
    await h.deliver('provisioning.service.unsuspended.v1', A, {
      serviceId: newId(),
      clientId: late,
      module: 'none',
    });
    expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
    await h.deliver('identity.client.created.v1', A, {
      clientId: late,
      email: 'late@clients.example',
      name: 'Late',
      language: 'es',
      currency: 'EUR',
      via: 'reseller',
    });
    later(2);
    await drain();
    const got = smtp.to('late@clients.example').map((r) => r.mail.subject);
    expect(got).toEqual(
      expect.arrayContaining(['Tu servicio está activo de nuevo', 'Bienvenido a Acme <Hosting>']),
    );
  });

  it('mails staff’s reply to the client with the ticket’s signed reply address', async () => {
    const d = await api.post('/v1/support/departments', dept('Acme Desk'), tokens.resellerA);
    const t = await api.post(
      '/v1/support/tickets',
      { departmentId: d.body.id, subject: 'Mi web no carga', message: 'ayuda' },
      tokens.clientA,
    );
    await api.post(
      `/v1/support/tickets/${t.body.ticket.id}/replies`,
      { message: 'Ya está <ok>' },
      tokens.resellerA,
    );
    await api.post(
      `/v1/support/tickets/${t.body.ticket.id}/notes`,
      { message: 'INTERNAL only' },
      tokens.resellerA,
    );
    await drain();
    const reply = smtp.to(clientA.email).find((r) => r.mail.subject === 'Re: Mi web no carga')!;
    expect(reply.mail.html).toContain('Ya está &lt;ok&gt;');
    expect(reply.mail.replyTo?.value[0]?.address).toMatch(
      /^reply\+[a-z2-7]{32}-[a-z2-7]{16}@reply\.platform\.example$/,
    );
    expect(smtp.received.some((r) => r.raw.includes('INTERNAL only'))).toBe(false);
    // the client's own ticket was acknowledged, with the same reply address
    const receipt = smtp.to(clientA.email).find((r) => r.mail.subject === '[Ticket] Mi web no carga')!;
    expect(receipt.mail.text).toContain('ayuda');
    expect(receipt.mail.replyTo?.value[0]?.address).toBe(reply.mail.replyTo?.value[0]?.address);
  });

  describe('templates', () => {
    const path = '/v1/support/notification-templates/invoice_issued/en';
    const override = {
      subject: '{{brandName}} bill {{invoiceNumber}}',
      html: '<h1>{{brandName}}</h1><p>Dear {{clientName}}: {{total}}</p>',
      text: 'Dear {{clientName}}: {{total}}',
    };

    it('lets a reseller override a template for its own clients only', async () => {
      const put = await api.put(path, override, tokens.resellerB);
      expect(put.status).toBe(200);
      expect(put.body).toMatchObject({ key: 'invoice_issued', language: 'en', overridden: true });
      const list = await api.get('/v1/support/notification-templates', tokens.resellerB);
      expect(list.body.items.find((t: { key: string }) => t.key === 'invoice_issued').overridden).toEqual([
        'en',
      ]);
      // A still sees (and sends) the default
      expect((await api.get(path, tokens.resellerA)).body.overridden).toBe(false);
      await h.deliver('billing.invoice.issued.v1', B, {
        invoiceId: newId(),
        number: 'B-99',
        clientId: clientB.id,
        currency: 'EUR',
        subtotal: 500,
        tax: 0,
        total: 500,
        dueDate: '2026-12-30',
        reason: 'order',
      });
      await drain();
      const got = smtp.to(clientB.email).find((r) => r.mail.subject === 'Bravo Hosting bill B-99');
      expect(got?.mail.html).toContain('<h1>Bravo Hosting</h1><p>Dear Bob: €5.00</p>');
    });

    it('previews a template with sample data in the tenant’s brand, escaping the values', async () => {
      const res = await api.post(`${path}/preview`, {}, tokens.resellerA);
      expect(res.status).toBe(200);
      expect(res.body.subject).toBe('Invoice INV-2026-000123 from Acme <Hosting>');
      expect(res.body.html).toContain('alt="Acme &lt;Hosting&gt;"');
      const draft = await api.post(
        `${path}/preview`,
        { text: 'Hi {{clientName}} from {{supportEmail}}' },
        tokens.resellerA,
      );
      expect(draft.body.text).toBe('Hi Ada Lovelace from help@acme.example');
    });

    it.each([
      ['an unknown variable', { ...override, html: '<p>{{constructor}}</p>' }, 'html'],
      ['block syntax', { ...override, text: '{{#each x}}{{/each}}' }, 'text'],
      ['triple braces (unescaped output)', { ...override, subject: '{{{clientName}}}' }, 'subject'],
    ])('refuses %s with a 400 naming the field and writes nothing', async (_what, body, field) => {
      const before = await countRows(h, 'mail_templates');
      const res = await api.put(path, body, tokens.resellerA);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual([field]);
      expect(await countRows(h, 'mail_templates')).toBe(before);
    });

    it('answers an unknown template or language with 404, and a missing field with 400', async () => {
      expect((await api.get('/v1/support/notification-templates/nope/en', tokens.resellerA)).status).toBe(
        404,
      );
      expect((await api.get('/v1/support/notification-templates/welcome/fr', tokens.resellerA)).status).toBe(
        404,
      );
      const res = await api.put(path, { subject: 'x', html: 'y' }, tokens.resellerA);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['text']);
    });

    it('keeps templates and mail logs per tenant: another tenant gets the same 404 as a missing override', async () => {
      // B's override exists; A deleting "it" is deleting A's own (none): 404, and B's stays
      expect((await api.del(path, tokens.resellerA)).status).toBe(404);
      expect((await api.get(path, tokens.resellerB)).body.overridden).toBe(true);
      // an admin names the tenant explicitly
      expect((await api.get(`${path}?tenantId=${B}`, tokens.admin)).body.overridden).toBe(true);
      // B's log never shows A's mails, even asked by A's client id
      const log = await api.get(`/v1/support/mail-log?clientId=${clientA.id}`, tokens.resellerB);
      expect(log.body.items).toEqual([]);
      const own = await api.get('/v1/support/mail-log', tokens.resellerB);
      expect(own.body.items.length).toBeGreaterThan(0);
      expect(own.body.items.every((m: { tenantId: string }) => m.tenantId === B)).toBe(true);
      // clients have no access to templates or logs
      expect((await api.get('/v1/support/mail-log', tokens.clientA)).status).toBe(403);
      expect((await api.get(path, tokens.clientA)).status).toBe(403);
      expect((await api.del(path, tokens.resellerB)).status).toBe(204);
      expect((await api.get(path, tokens.resellerB)).body.overridden).toBe(false);
    });
  });

  it('mails a password reset link fetched from identity at send time (never stored), which resets the password', async () => {
    const ask = await fetch(`${identity.url}/v1/auth/password/reset-request`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: clientB.email, tenantSlug: 'bravo' }),
    });
    expect(ask.status).toBe(202);
    const queued = async () => {
      const [r] = await h.db.withTenant({ kind: 'tenant', tenantId: B }, (tx) =>
        rows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from mail_outbox where template = 'password_reset'`,
        ),
      );
      return r!.n;
    };
    await eventually('the reset request reaches support', async () => (await queued()) === 1);
    expect(await drain()).toEqual({ sent: 1, retry: 0, failed: 0 });
    const mail = smtp.to(clientB.email).find((r) => r.mail.subject === 'Reset your Bravo Hosting password')!;
    const token = /https:\/\/portal\.platform\.example\/reset-password\?token=([^\s"&]+)/.exec(
      mail.mail.text ?? '',
    )?.[1];
    expect(token).toBeDefined();
    const secret = decodeURIComponent(token!);
    const [stored] = await h.db.withTenant({ kind: 'tenant', tenantId: B }, (tx) =>
      rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from mail_outbox where vars::text like ${'%' + secret + '%'}`,
      ),
    );
    expect(stored!.n).toBe(0);
    const reset = await fetch(`${identity.url}/v1/auth/password/reset`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: secret, newPassword: 'a-brand-new-pass-456' }),
    });
    expect(reset.status).toBe(204);
  });

  it('sends nothing for a reset identity no longer knows (used, expired or replaced): the mail fails', async () => {
    const before = smtp.received.length;
    await h.deliver('identity.password_reset.requested.v1', B, {
      userId: clientB.id,
      email: clientB.email,
      resetId: newId(),
      expiresAt: new Date(clock.now.getTime() + 3_600_000).toISOString(),
    });
    expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 1 });
    expect(smtp.received.length).toBe(before);
    const log = await api.get(`/v1/support/mail-log?clientId=${clientB.id}&status=failed`, tokens.resellerB);
    expect(
      log.body.items.find((m: { template: string }) => m.template === 'password_reset')?.lastError,
    ).toMatch(/no longer live/);
  });

  it('uses the new brand once identity says it changed', async () => {
    await identity.services.resellers.update(admin(), B, { brandName: 'Bravo Cloud' });
    await eventually('support marks B’s brand stale', async () => {
      const [r] = await h.db.withTenant({ kind: 'tenant', tenantId: B }, (tx) =>
        rows<{ stale: boolean }>(tx, sql`select fetched_at is null as stale from tenant_brands`),
      );
      return r?.stale === true;
    });
    await h.deliver('provisioning.service.unsuspended.v1', B, {
      serviceId: newId(),
      clientId: clientB.id,
      module: 'none',
    });
    await drain();
    const last = smtp.to(clientB.email).at(-1)!;
    expect(last.mail.from?.value[0]?.name).toBe('Bravo Cloud');
  });
});
