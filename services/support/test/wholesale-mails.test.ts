import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { createInMemoryBus, newId, rows, type AuthContext, type Bus } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { IDENTITY_SERVICE_KEY, startIdentity, type IdentityHarness } from './support/identity';
import { startMailServer, type MailServer } from './support/mail-server';
import { startSupport, type Harness } from './support/support';

/**
 * The platform's wholesale invoices to a reseller (billing.invoice.*.v1 in the PLATFORM's tenant, the
 * reseller's id as the client) reach the reseller's contact address: the real identity announces the
 * reseller with its owner's address (identity.reseller.created.v1 `contactEmail`), support records it as the
 * platform's client and mails the invoice and its reminders there, over SMTP.
 */
describe('wholesale invoice mails to a reseller', () => {
  let bus: Bus;
  let identity: IdentityHarness;
  let smtp: MailServer;
  let h: Harness;
  const clock = { now: new Date('2026-11-30T10:00:00Z') };
  const admin = (): { auth: AuthContext } => ({
    auth: { userId: newId(), role: 'admin', tenantId: PLATFORM_TENANT_ID, tokenId: 't', issuedAt: 0 },
  });
  let reseller: string;

  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }
  const platformRecipient = async (clientId: string) =>
    (
      await h.db.withTenant({ kind: 'tenant', tenantId: PLATFORM_TENANT_ID }, (tx) =>
        rows<{ email: string; name: string }>(
          tx,
          sql`select email, name from mail_recipients where client_id = ${clientId}`,
        ),
      )
    )[0];
  const drain = () => h.running.built.mailer.drain(clock.now);

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
          breaker: { volumeThreshold: 2, resetTimeoutMs: 200 },
        },
        reply: { secret: 'reply-secret-that-is-long-enough-0123456789', domain: 'reply.platform.example' },
      },
      { bus },
    );
    reseller = (
      await identity.services.resellers.create(admin(), {
        slug: 'delta',
        brandName: 'Delta Hosting',
        customDomains: [],
        allowCustomProducts: false,
        supportEmail: 'help@delta.example',
        owner: { email: 'owner@delta.example', name: 'Delta Owner', password: 'delta-owner-pass-1' },
      })
    ).reseller.id;
    await eventually('support learns the reseller’s contact address from identity', async () => {
      return (await platformRecipient(reseller)) !== undefined;
    });
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await identity?.stop();
    await bus?.close();
    await smtp?.stop();
  });

  it('records the reseller as the platform’s client at its owner’s address, not in the reseller’s tenant', async () => {
    expect(await platformRecipient(reseller)).toEqual({
      email: 'owner@delta.example',
      name: 'Delta Hosting',
    });
    const own = await h.db.withTenant({ kind: 'tenant', tenantId: reseller }, (tx) =>
      rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from mail_recipients where client_id = ${reseller}`,
      ),
    );
    expect(own[0]!.n).toBe(0);
  });

  it('mails the platform’s wholesale invoice and its reminder to the reseller, in the platform’s brand', async () => {
    const invoice = { invoiceId: newId(), number: 'INV-2026-000900', clientId: reseller, currency: 'EUR' };
    await h.deliver('billing.invoice.issued.v1', PLATFORM_TENANT_ID, {
      ...invoice,
      subtotal: 1600,
      tax: 0,
      total: 1600,
      dueDate: '2026-12-07',
      reason: 'manual',
      purpose: 'wholesale',
    });
    await h.deliver('billing.invoice.reminder_due.v1', PLATFORM_TENANT_ID, {
      ...invoice,
      balance: 1600,
      dueDate: '2026-12-07',
      offsetDays: 7,
    });
    await drain();
    const mails = smtp.to('owner@delta.example');
    const subjects = mails.map((m) => m.mail.subject);
    expect(subjects).toEqual(
      expect.arrayContaining([
        expect.stringContaining('INV-2026-000900'),
        'Overdue: invoice INV-2026-000900',
      ]),
    );
    expect(mails).toHaveLength(2);
    // the platform writes to the reseller: the reseller's own brand and support address are not the sender
    for (const m of mails) expect(m.mail.from?.value[0]?.address).not.toBe('help@delta.example');
    expect(mails.find((m) => m.mail.subject?.startsWith('Overdue'))!.mail.text).toContain('€16.00');
  });

  it('follows a later announcement; one without an address changes nothing', async () => {
    const profile = {
      resellerId: reseller,
      slug: 'delta',
      brandName: 'Delta Web',
      customDomains: [],
      allowCustomProducts: false,
      status: 'active',
    };
    await h.deliver('identity.reseller.updated.v1', reseller, profile);
    expect(await platformRecipient(reseller)).toEqual({
      email: 'owner@delta.example',
      name: 'Delta Hosting',
    });
    await h.deliver('identity.reseller.updated.v1', reseller, {
      ...profile,
      contactEmail: 'billing@delta.example',
    });
    expect(await platformRecipient(reseller)).toEqual({ email: 'billing@delta.example', name: 'Delta Web' });
    // another tenant's event cannot set a reseller's address
    await h.deliver('identity.reseller.updated.v1', newId(), { ...profile, contactEmail: 'evil@x.example' });
    expect((await platformRecipient(reseller))!.email).toBe('billing@delta.example');
  });
});
