import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { recordDomainExpiry } from '../src/store/domain-expiries.store';
import { recordInbound } from '../src/store/inbound.store';
import { rememberDomainClient, saveBrand } from '../src/store/mail.store';
import { suppress } from '../src/store/suppressions.store';
import { client, dept, startSupport, type Harness } from './support/support';

const TABLES = [
  'departments',
  'tickets',
  'ticket_messages',
  'canned_replies',
  'mail_recipients',
  'tenant_brands',
  'mail_templates',
  'mail_outbox',
  'inbound_mails',
  'webhook_endpoints',
  'webhook_deliveries',
  'ticket_attachments',
  'ticket_ratings',
  'domain_service_clients',
  'mail_suppressions',
  'tenant_smtp_settings',
  'domain_expiries',
];

/** Row-level security as the second wall under support's tables. */
describe('support store isolation', () => {
  let h: Harness;
  const A = newId();
  const B = newId();
  const clientOfA = newId();

  beforeAll(async () => {
    h = await startSupport({ webhooks: { allowPrivate: true } });
    const api = client(h.url);
    const d = await api.post('/v1/support/departments', dept('Help'), h.issuer.tokenFor('reseller', A));
    const t = await api.post(
      '/v1/support/tickets',
      { departmentId: d.body.id, subject: 'x', message: 'y' },
      h.issuer.tokenFor('client', A, clientOfA),
    );
    await api.post('/v1/support/canned-replies', { title: 't', body: 'b' }, h.issuer.tokenFor('reseller', A));
    // a client identity announced (its address, and its welcome mail queued), a brand, a template override
    await h.deliver('identity.client.created.v1', A, {
      clientId: newId(),
      email: 'c@example.test',
      name: 'C',
      language: 'en',
      currency: 'EUR',
      via: 'reseller',
    });
    await h.db.withTenant(tenantScope(A), (tx) =>
      recordInbound(tx, tenantScope(A), '<m@x>', t.body.ticket.id),
    );
    await h.db.withTenant(tenantScope(A), (tx) => rememberDomainClient(tx, tenantScope(A), newId(), newId()));
    await h.db.withTenant(tenantScope(A), (tx) =>
      recordDomainExpiry(tx, tenantScope(A), {
        domainServiceId: newId(),
        domain: 'a.example',
        expiresAt: new Date().toISOString(),
        asOf: new Date().toISOString(),
      }),
    );
    await h.db.withTenant(tenantScope(A), (tx) =>
      suppress(tx, tenantScope(A), {
        id: newId(),
        email: 'gone@example.test',
        reason: 'hard_bounce',
        statusCode: '5.1.1',
        diagnostic: null,
        mailId: null,
        createdAt: new Date(),
      }),
    );
    await h.db.withTenant(tenantScope(A), (tx) =>
      saveBrand(tx, tenantScope(A), { brandName: 'A', logoUrl: null, supportEmail: null }, new Date()),
    );
    // the tenant's own SMTP server (a public literal address: no private hosts without the dev switch)
    expect(
      (
        await api.put(
          '/v1/support/smtp-settings',
          { host: '198.41.0.4', port: 587, security: 'starttls', username: 'u', password: 'p-123456' },
          h.issuer.tokenFor('reseller', A),
        )
      ).status,
    ).toBe(200);
    // an attachment, and a rating of the closed ticket
    const file = await fetch(`${h.url}/v1/support/attachments?ticketId=${t.body.ticket.id}&filename=a.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.issuer.tokenFor('client', A, clientOfA)}` },
      body: 'hello',
    });
    expect(file.status).toBe(201);
    await api.post(`/v1/support/tickets/${t.body.ticket.id}/close`, {}, h.issuer.tokenFor('reseller', A));
    expect(
      (
        await api.put(
          `/v1/support/tickets/${t.body.ticket.id}/rating`,
          { score: 5 },
          h.issuer.tokenFor('client', A, clientOfA),
        )
      ).status,
    ).toBe(200);
    // a webhook endpoint and one delivery to it
    const hook = await api.post(
      '/v1/support/webhooks',
      { url: 'http://127.0.0.1:9/hook', eventTypes: ['billing.invoice.paid.v1'] },
      h.issuer.tokenFor('reseller', A),
    );
    expect(hook.status).toBe(201);
    await h.deliver('billing.invoice.paid.v1', A, {
      invoiceId: newId(),
      number: 'I-1',
      clientId: newId(),
      currency: 'EUR',
      total: 1,
      paidAt: new Date().toISOString(),
    });
    await api.put(
      '/v1/support/notification-templates/welcome/en',
      { subject: 's', html: 'h', text: 't' },
      h.issuer.tokenFor('reseller', A),
    );
  }, 60_000);
  afterAll(() => h.stop());

  it('enables and forces row-level security on every support table', async () => {
    const flags = await h.db.transaction((tx) =>
      rows<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
        tx,
        sql`select relname, relrowsecurity, relforcerowsecurity from pg_class
            where relkind = 'r' and relnamespace = 'public'::regnamespace and relname not in
              ('schema_migrations', 'outbox', 'inbox', 'scheduler_runs')`,
      ),
    );
    expect(flags.map((f) => f.relname).sort()).toEqual([...TABLES].sort());
    expect(flags.every((f) => f.relrowsecurity && f.relforcerowsecurity)).toBe(true);
  });

  it.each(TABLES)('shows no %s row without a tenant, and none of A’s to B', async (table) => {
    const count = (run: typeof h.db.transaction) =>
      run(
        async (tx) =>
          (await rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.raw(table)}`))[0]!.n,
      );
    expect(await count((fn) => h.db.withTenant(tenantScope(A), fn))).toBeGreaterThan(0);
    expect(await count((fn) => h.db.transaction(fn))).toBe(0);
    expect(await count((fn) => h.db.withTenant(tenantScope(B), fn))).toBe(0);
  });
});
