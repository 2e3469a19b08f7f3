import { createServer, type Server, type Socket, connect } from 'node:net';
import { PLATFORM_TENANT_ID, PROVISIONING_INTERNAL } from '@geminis/contracts';
import {
  createInMemoryBus,
  dailyUtc,
  newId,
  rows,
  SERVICE_KEY_HEADER,
  type AuthContext,
  type Bus,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
// The REAL provisioning, in-process with its own database, and its WHM stand-in (never a mock of our
// own service): it creates the account, publishes provisioning.service.provisioned.v1, and answers the
// service-key route support fetches the panel login from when the mail goes out.
import { outboxEvents, provisionRequest, runJobsUntil } from '../../provisioning/test/support/jobs';
import {
  client as provisioningClient,
  cpanelServer,
  startProvisioning,
  type Harness as ProvisioningHarness,
} from '../../provisioning/test/support/provisioning';
import { startWhmStandIn, type WhmStandIn } from '../../provisioning/test/support/whm-stand-in';
import { IDENTITY_SERVICE_KEY, startIdentity, type IdentityHarness } from './support/identity';
import { startMailServer, type MailServer } from './support/mail-server';
import { supportJobs } from '../src/service';
import { client, countRows, startSupport, type Client, type Harness } from './support/support';

/**
 * A TCP forwarder in front of provisioning (a real listener): closing it is provisioning being
 * unreachable for support, reopening it on the same port is provisioning back.
 */
async function startForwarder(targetPort: number) {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = connect(targetPort, '127.0.0.1');
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => undefined);
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server!.close(() => r()));
    },
    start: listen,
  };
}

describe('order confirmations and the service-ready mail with its panel login', () => {
  let bus: Bus;
  let identity: IdentityHarness;
  let provisioning: ProvisioningHarness;
  let whm: WhmStandIn;
  let forwarder: Awaited<ReturnType<typeof startForwarder>>;
  let smtp: MailServer;
  let h: Harness;
  let api: Client;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const later = (minutes: number) => {
    clock.now = new Date(clock.now.getTime() + minutes * 60_000);
    return clock.now;
  };
  const drain = () => h.running.built.mailer.drain(clock.now);
  const admin = (): { auth: AuthContext } => ({
    auth: { userId: newId(), role: 'admin', tenantId: PLATFORM_TENANT_ID, tokenId: 't', issuedAt: 0 },
  });
  let A: string;
  let B: string;
  let clientA: { id: string; email: string };
  let clientB: { id: string; email: string };

  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }
  /** Support's queued mails, read across tenants (the test's view, under an explicit all-tenants scope). */
  const outbox = () =>
    h.db.withTenant({ kind: 'all' }, (tx) =>
      rows<{
        id: string;
        tenant_id: string;
        event_id: string;
        template: string;
        recipient: string | null;
        vars: Record<string, string>;
        last_error: string | null;
        subject: string | null;
        status: string;
      }>(tx, sql`select * from mail_outbox order by created_at`),
    );
  const makeReseller = async (slug: string, brandName: string, supportEmail: string) =>
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
        supportEmail,
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
    whm = await startWhmStandIn();
    // our services share one service key (INTERNAL_SERVICE_KEY)
    provisioning = await startProvisioning({ serviceKey: IDENTITY_SERVICE_KEY });
    forwarder = await startForwarder(provisioning.running.port);
    smtp = await startMailServer();
    h = await startSupport(
      {
        now: () => clock.now,
        identityUrl: identity.url,
        provisioningUrl: forwarder.url,
        provisioningBreaker: { resetTimeoutMs: 200 },
        serviceKey: IDENTITY_SERVICE_KEY,
        mail: { smtpUrl: smtp.url, from: 'bounces@platform.example', retryBaseMs: 60_000, maxAttempts: 3 },
      },
      { bus },
    );
    api = client(h.url);
    A = await makeReseller('acme-o', 'Acme <Hosting>', 'help@acme.example');
    B = await makeReseller('bravo-o', 'Bravo Hosting', 'help@bravo.example');
    clientA = await makeClient(A, 'ana.o@clients.example', 'Ana', 'es');
    clientB = await makeClient(B, 'bob.o@clients.example', 'Bob', 'en');
    await eventually('support learns both clients', async () => {
      const n = (await outbox()).filter((m) => m.template === 'welcome' && m.recipient).length;
      return n === 2;
    });
    await drain();
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await forwarder?.stop().catch(() => undefined);
    await provisioning?.stop();
    await whm?.close();
    await identity?.stop();
    await bus?.close();
    await smtp?.stop();
  }, 60_000);

  describe('order placed', () => {
    const order = (clientId: string, over: Record<string, unknown> = {}) => ({
      orderId: newId(),
      clientId,
      currency: 'EUR',
      total: 1234,
      items: [
        { productId: newId(), productName: 'Starter <Hosting>', cycle: 'monthly', quantity: 2 },
        { productId: newId(), productName: 'Site Care', cycle: 'annually', quantity: 1 },
      ],
      domains: [{ domain: 'bob-site.example', action: 'register', years: 2 }],
      ...over,
    });

    it('confirms an order in the tenant’s brand and the client’s language: its lines and total in minor units', async () => {
      const data = order(clientB.id);
      await h.deliver('billing.order.placed.v1', B, data);
      await drain();
      const [got, ...more] = smtp
        .to(clientB.email)
        .filter((r) => r.mail.subject === 'Your Bravo Hosting order');
      expect(more).toHaveLength(0);
      expect(got!.mail.from?.value[0]).toEqual({ name: 'Bravo Hosting', address: 'help@bravo.example' });
      const text = got!.mail.text!;
      expect(text).toContain(data.orderId);
      // the products by the names the client ordered them under, never by their ids
      expect(text).toContain('2 × Starter <Hosting> (monthly)');
      expect(text).toContain('1 × Site Care (yearly)');
      for (const i of data.items) expect(text).not.toContain(i.productId);
      expect(text).toContain('bob-site.example: registration, 2 years');
      expect(text).toContain('Total: €12.34');
      expect(got!.mail.html).toContain('€12.34');
      expect(got!.mail.html).toContain('2 × Starter &lt;Hosting&gt; (monthly)');
    });

    it('names a product by its id in an order announced before billing sent product names', async () => {
      const data = order(clientB.id, {
        total: 999,
        items: [{ productId: newId(), cycle: 'monthly', quantity: 1 }],
        domains: [],
      });
      await h.deliver('billing.order.placed.v1', B, data);
      await drain();
      const got = smtp.to(clientB.email).filter((r) => r.mail.text?.includes(data.orderId));
      expect(got).toHaveLength(1);
      expect(got[0]!.mail.text).toContain(`1 × product ${data.items[0]!.productId} (monthly)`);
    });

    it('confirms a domain-only order (no items) in Spanish, with a zero-decimal currency', async () => {
      const data = order(clientA.id, {
        currency: 'JPY',
        total: 123456,
        items: [],
        domains: [
          { domain: 'ana.example', action: 'register', years: 1 },
          { domain: 'ana-old.example', action: 'transfer', years: 1 },
        ],
        promotionCode: 'WELCOME10',
      });
      await h.deliver('billing.order.placed.v1', A, data);
      await drain();
      const got = smtp.to(clientA.email).filter((r) => r.mail.subject === 'Tu pedido en Acme <Hosting>');
      expect(got).toHaveLength(1);
      const text = got[0]!.mail.text!;
      expect(text).toContain('ana.example: registro, 1 año');
      expect(text).toContain('ana-old.example: transferencia, 1 año');
      expect(text).toContain('código promocional: WELCOME10');
      expect(text).toMatch(/123\.456\s*(JPY|¥|￥)/);
      expect(text).not.toContain('producto');
      // values are escaped in HTML: the brand's markup-looking name stays text
      expect(got[0]!.mail.html).toContain('Acme &lt;Hosting&gt;');
    });

    it('sends one confirmation per order however often (and under whatever event id) it is announced', async () => {
      const data = order(clientB.id, { total: 500 });
      const id = newId();
      await h.deliver('billing.order.placed.v1', B, data, id);
      await h.deliver('billing.order.placed.v1', B, data, id);
      await h.deliver('billing.order.placed.v1', B, data);
      await drain();
      await drain();
      const got = smtp.to(clientB.email).filter((r) => r.mail.text?.includes(data.orderId));
      expect(got).toHaveLength(1);
    });

    it('never mails a client of another tenant: an order under A naming B’s client reaches nobody', async () => {
      const before = smtp.received.length;
      const data = order(clientB.id, { total: 777 });
      await h.deliver('billing.order.placed.v1', A, data);
      expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
      expect(smtp.received.length).toBe(before);
      const queued = (await outbox()).filter((m) => m.event_id === data.orderId);
      expect(queued).toEqual([expect.objectContaining({ tenant_id: A, recipient: null })]);
      // and B's staff do not see it in their log
      const log = await api.get(
        `/v1/support/mail-log?clientId=${clientB.id}`,
        h.issuer.tokenFor('reseller', B),
      );
      // (by the queued mail's id: its order's total, 777, once matched a random UUID of B's own mails)
      expect(log.status).toBe(200);
      expect((log.body.items as { id: string }[]).map((m) => m.id)).not.toContain(queued[0]!.id);
      // it waits for an address A never announces, then is logged failed: nothing ever goes out
      later(10);
      expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
      later(10);
      expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 1 });
      expect(smtp.received.length).toBe(before);
    });

    it.each([
      ['a fractional total', { total: 12.34 }],
      ['no client', { clientId: undefined }],
      ['an unknown cycle', { items: [{ productId: newId(), cycle: 'weekly', quantity: 1 }] }],
      ['a bad domain action', { domains: [{ domain: 'x.example', action: 'steal', years: 1 }] }],
    ])('refuses an event with %s (dead-lettered) and queues nothing', async (_what, over) => {
      const before = (await outbox()).length;
      expect(await h.deliver('billing.order.placed.v1', B, order(clientB.id, over))).toBe('dead-letter');
      expect((await outbox()).length).toBe(before);
    });

    it('previews the template (en, es) and refuses an override naming an unknown variable', async () => {
      const staff = h.issuer.tokenFor('reseller', A);
      const path = '/v1/support/notification-templates/order_placed';
      const es = await api.post(`${path}/es/preview`, {}, staff);
      expect(es.status).toBe(200);
      expect(es.body.subject).toBe('Tu pedido en Acme <Hosting>');
      expect(es.body.text).toContain('€12.34');
      const bad = await api.put(
        `${path}/en`,
        { subject: 'x', html: '<p>{{password}}</p>', text: '{{total}}' },
        staff,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['html']);
      // an override is the tenant's own: B still gets the default
      const ok = await api.put(
        `${path}/en`,
        {
          subject: '{{brandName}} order {{orderId}}',
          html: '<p>{{items}}</p>',
          text: '{{items}} = {{total}}',
        },
        staff,
      );
      expect(ok.status).toBe(200);
      expect((await api.get(`${path}/en`, h.issuer.tokenFor('reseller', B))).body.overridden).toBe(false);
      expect((await api.del(`${path}/en`, h.issuer.tokenFor('reseller', B))).status).toBe(404);
    });
  });

  describe('service provisioned', () => {
    const PROVISIONED = 'provisioning.service.provisioned.v1';
    let serviceId: string;
    let login: { username: string; password: string; host: string | null };
    let provisioned: { id: string; data: Record<string, unknown> };

    beforeAll(async () => {
      const papi = provisioningClient(provisioning.url);
      const s = await papi.post(
        '/v1/servers',
        cpanelServer('mail-1', { hostname: '127.0.0.1', port: whm.port, tls: false }),
        provisioning.issuer.tokenFor('reseller', B),
      );
      expect(s.status).toBe(201);
      const req = provisionRequest({
        domain: 'bobsite.example',
        client: { clientId: clientB.id, email: clientB.email, name: 'Bob' },
      });
      serviceId = req.serviceId;
      await provisioning.deliver('billing.service.provision_requested.v1', B, req);
      const read = () =>
        papi.call('GET', PROVISIONING_INTERNAL.serviceCredentials(B, serviceId), {
          headers: { [SERVICE_KEY_HEADER]: IDENTITY_SERVICE_KEY },
        });
      await runJobsUntil(provisioning, async () => (await read()).status === 200);
      login = (await read()).body as typeof login;
      const events = await outboxEvents(provisioning, PROVISIONED);
      provisioned = events.find((e) => e.data.serviceId === serviceId)!;
      expect(provisioned).toBeDefined();
      expect(JSON.stringify(provisioned.data)).not.toContain(login.password);
    }, 60_000);

    it('mails the panel login fetched from provisioning at send time, and stores no password', async () => {
      await h.deliver(PROVISIONED, B, provisioned.data, provisioned.id);
      await h.deliver(PROVISIONED, B, provisioned.data, provisioned.id);
      await drain();
      const got = smtp.to(clientB.email).filter((r) => r.mail.subject === 'Your service is ready');
      expect(got).toHaveLength(1);
      const text = got[0]!.mail.text!;
      expect(text).toContain(`User: ${login.username}`);
      expect(text).toContain(`Password: ${login.password}`);
      expect(text).toContain(`Server: ${login.host}`);
      expect(got[0]!.mail.from?.value[0]?.address).toBe('help@bravo.example');
      // nothing of support's keeps it: the queued mail, its log entry
      const stored = JSON.stringify(await outbox());
      expect(stored).not.toContain(login.password);
      const log = await api.get(
        `/v1/support/mail-log?clientId=${clientB.id}`,
        h.issuer.tokenFor('reseller', B),
      );
      expect(JSON.stringify(log.body)).not.toContain(login.password);
    });

    it('keeps the mail while provisioning is unreachable (attempts not used up) and sends it once when back', async () => {
      await forwarder.stop();
      const id = newId();
      await h.deliver(PROVISIONED, B, provisioned.data, id);
      const before = smtp.received.length;
      // more rounds than maxAttempts (3)
      for (let i = 0; i < 4; i += 1) {
        expect(await drain()).toEqual({ sent: 0, retry: 1, failed: 0 });
        later(61);
      }
      const [waiting] = (await outbox()).filter((m) => m.event_id === id);
      expect(waiting).toMatchObject({
        status: 'pending',
        last_error: expect.stringMatching(/cannot render/),
      });
      await forwarder.start();
      // the kit's breaker on provisioning may be open: it lets a trial through after its reset time
      await eventually('provisioning reachable again', async () => {
        later(61);
        const round = await drain();
        expect(round.failed).toBe(0);
        return round.sent === 1;
      });
      later(120);
      expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 0 });
      const got = smtp.received.slice(before);
      expect(got).toHaveLength(1);
      expect(got[0]!.mail.text).toContain(`Password: ${login.password}`);
      expect(JSON.stringify(await outbox())).not.toContain(login.password);
    });

    it('never mails one tenant’s panel login to another: an event under A naming B’s service fails, unsent', async () => {
      const before = smtp.received.length;
      await h.deliver(PROVISIONED, A, { ...provisioned.data, clientId: clientA.id }, newId());
      expect(await drain()).toEqual({ sent: 0, retry: 0, failed: 1 });
      expect(smtp.received.length).toBe(before);
      const [failed] = (await outbox()).filter(
        (m) => m.tenant_id === A && m.template === 'service_provisioned',
      );
      expect(failed).toMatchObject({
        status: 'failed',
        last_error: expect.stringMatching(/no live account/),
      });
    });

    it('refuses an event without a valid service id (dead-lettered) and queues nothing', async () => {
      const before = (await outbox()).length;
      expect(await h.deliver(PROVISIONED, B, { ...provisioned.data, serviceId: 'not-an-id' }, newId())).toBe(
        'dead-letter',
      );
      expect((await outbox()).length).toBe(before);
    });

    it('previews the ready mail with a sample login, never a real one', async () => {
      const res = await api.post(
        '/v1/support/notification-templates/service_provisioned/es/preview',
        {},
        h.issuer.tokenFor('reseller', B),
      );
      expect(res.status).toBe(200);
      expect(res.body.text).toContain('Contraseña: sample-Passw0rd');
      expect(JSON.stringify(res.body)).not.toContain(login.password);
    });
  });

  describe('domain expiring', () => {
    const DAY_MIN = 24 * 60;
    const runJob = () =>
      supportJobs(h.running.built.services)
        .find((j) => j.name === 'support.domains.expiry-reminders')!
        .run(dailyUtc(clock.now));
    const inDays = (n: number) => new Date(clock.now.getTime() + n * DAY_MIN * 60_000).toISOString();
    const expiring = (email: string) =>
      smtp
        .to(email)
        .filter((r) => r.mail.headers.get('x-geminis-template') === 'domain_expiring')
        .map((r) => r.mail.subject);
    const ownDomain = async (tenantId: string, clientId: string, domain: string, expiresInDays: number) => {
      const domainServiceId = newId();
      await h.deliver('billing.domain.renew_requested.v1', tenantId, {
        domainServiceId,
        invoiceId: newId(),
        clientId,
        domain,
        years: 1,
      });
      await h.deliver('provisioning.domain.renewed.v1', tenantId, {
        domainServiceId,
        domain,
        expiresAt: inDays(expiresInDays),
        registrar: 'namecom',
      });
      return domainServiceId;
    };

    it('reminds the client 30 and 7 days before expiry, once each, in its tenant’s brand and language', async () => {
      await ownDomain(B, clientB.id, 'bob-exp.example', 40);
      await ownDomain(A, clientA.id, 'ana-exp.example', 38);
      await runJob();
      await drain();
      expect(expiring(clientB.email)).toEqual([]);
      later(11 * DAY_MIN); // B: 29 days left, A: 27
      await runJob();
      await runJob(); // the same day again: nothing new
      await drain();
      expect(expiring(clientB.email)).toEqual(['bob-exp.example expires in 29 days']);
      expect(expiring(clientA.email)).toEqual(['ana-exp.example caduca en 27 días']);
      const [mail] = smtp
        .to(clientA.email)
        .filter((r) => r.mail.subject === 'ana-exp.example caduca en 27 días');
      expect(mail!.mail.from?.value[0]?.address).toBe('help@acme.example');
      later(DAY_MIN); // the next day, still in the 30-day window: no second reminder
      await runJob();
      await drain();
      expect(expiring(clientB.email)).toHaveLength(1);
      later(22 * DAY_MIN); // B: 6 days left, A: 4
      await runJob();
      await drain();
      later(DAY_MIN);
      await runJob();
      await drain();
      expect(expiring(clientB.email)).toEqual([
        'bob-exp.example expires in 29 days',
        'bob-exp.example expires in 6 days',
      ]);
      expect(expiring(clientA.email)).toEqual([
        'ana-exp.example caduca en 27 días',
        'ana-exp.example caduca en 4 días',
      ]);
      // expired: no more
      later(10 * DAY_MIN);
      await runJob();
      await drain();
      expect(expiring(clientB.email)).toHaveLength(2);
    });

    it('follows provisioning’s expiry changes: a domain renewed elsewhere is not reminded', async () => {
      const id = await ownDomain(B, clientB.id, 'bob-moved.example', 20);
      await h.deliver('provisioning.domain.expiry_changed.v1', B, {
        domainServiceId: id,
        domain: 'bob-moved.example',
        expiresAt: inDays(385),
        previousExpiresAt: inDays(20),
      });
      await runJob();
      await drain();
      expect(expiring(clientB.email).filter((s) => s?.startsWith('bob-moved'))).toEqual([]);
    });

    it('never reminds across tenants: A’s event about B’s domain service changes nothing of B’s and mails nobody', async () => {
      const id = await ownDomain(B, clientB.id, 'bob-iso.example', 60);
      await drain(); // its "renewed" mail
      const before = smtp.received.length;
      await h.deliver('provisioning.domain.expiry_changed.v1', A, {
        domainServiceId: id,
        domain: 'bob-iso.example',
        expiresAt: inDays(3),
        previousExpiresAt: null,
      });
      await runJob();
      await drain();
      expect(smtp.received.length).toBe(before);
      // nothing even queued under A: A has no client for that domain service
      expect(
        (await outbox()).filter((m) => m.tenant_id === A && m.vars.domain === 'bob-iso.example'),
      ).toEqual([]);
      const [own] = await h.db.withTenant({ kind: 'all' }, (tx) =>
        rows<{ expires_at: Date }>(
          tx,
          sql`select expires_at from domain_expiries where tenant_id = ${B} and domain_service_id = ${id}`,
        ),
      );
      expect(new Date(own!.expires_at).getTime()).toBeGreaterThan(
        clock.now.getTime() + 59 * DAY_MIN * 60_000,
      );
    });

    it.each([
      ['a date that is not one', { expiresAt: 'next year' }],
      ['a bad service id', { domainServiceId: 'x' }],
    ])('refuses an expiry change with %s (dead-lettered) and records nothing', async (_what, over) => {
      const before = await countRows(h, 'domain_expiries');
      const body = {
        domainServiceId: newId(),
        domain: 'x.example',
        expiresAt: inDays(5),
        previousExpiresAt: null,
      };
      expect(await h.deliver('provisioning.domain.expiry_changed.v1', B, { ...body, ...over })).toBe(
        'dead-letter',
      );
      expect(await countRows(h, 'domain_expiries')).toBe(before);
    });

    it('previews the reminder with sample data', async () => {
      const res = await api.post(
        '/v1/support/notification-templates/domain_expiring/es/preview',
        {},
        h.issuer.tokenFor('reseller', A),
      );
      expect(res.status).toBe(200);
      expect(res.body.subject).toBe('example.com caduca en 30 días');
    });
  });
});
