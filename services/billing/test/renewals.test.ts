import { EventEnvelopeSchema, eventRegistry, InvoiceIssued } from '@geminis/contracts';
import {
  allTenants,
  createLogger,
  createOutbox,
  createScheduler,
  newId,
  rows,
  tenantScope,
} from '@geminis/service-kit';
import { randomBytes } from 'node:crypto';
import { createLifecycleJobs, lifecycleSchedule } from '../src/domain/lifecycle-jobs.service';
import { createSealer } from '../src/domain/secrets';
import { createSettlement } from '../src/domain/settlement.service';
import { sql, type SQL } from 'drizzle-orm';
import { client, type Client, type Harness, type Shop } from './support/billing';
import {
  activeService,
  jobsOf,
  openShop,
  outboxInOrder,
  renewalInvoices,
  startLifecycle,
  testClock,
} from './support/lifecycle';

/** The renewal job: set-based, bounded batches, once per service and period, gapless numbers. */
describe('renewals', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;

  beforeAll(async () => {
    h = await startLifecycle(clock, { lifecycleBatchSize: 3 });
    api = client(h.url);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  it('issues a renewal invoice the tenant’s lead days before the due date, with lines, tax, number and event', async () => {
    const shop = await openShop(h);
    await api.patch('/v1/billing-settings', { taxRateBps: 2100, taxName: 'VAT' }, shop.resellerToken);
    const s = await activeService(h, shop);
    expect((await s.service()).nextDueDate).toBe('2026-04-01');
    clock.set('2026-03-17'); // 15 days before: not yet (default lead: 14 days)
    expect(await jobsOf(h).renew()).toBe(0);
    clock.set('2026-03-18');
    expect(await jobsOf(h).renew()).toBe(1);
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    const invoice = (await api.get(`/v1/invoices/${renewal!.id}`, s.client.token)).body;
    expect(invoice).toMatchObject({
      number: 'INV-2026-000002', // the order's invoice was 000001: one series
      status: 'unpaid',
      currency: 'EUR',
      subtotal: 999,
      taxName: 'VAT',
      taxRateBps: 2100,
      taxTotal: 210, // 209.79 rounded half-up on the line
      total: 1209,
      dueDate: '2026-04-01',
      lines: [
        expect.objectContaining({
          amount: 999,
          tax: 210,
          total: 1209,
          serviceId: s.serviceId,
          periodStart: '2026-04-01',
          periodEnd: '2026-05-01',
        }),
      ],
    });
    const issued = (await outboxInOrder(h, shop.tenantId, ['billing.invoice.issued.v1'])).map((e) => e.data);
    expect(issued).toHaveLength(2);
    expect(issued[1]).toEqual({
      invoiceId: renewal!.id,
      number: 'INV-2026-000002',
      clientId: s.client.id,
      currency: 'EUR',
      subtotal: 999,
      tax: 210,
      total: 1209,
      dueDate: '2026-04-01',
      reason: 'renewal',
      purpose: 'renewal',
    });
  });

  it('writes envelopes the contract accepts', async () => {
    const shop = await openShop(h);
    await activeService(h, shop);
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    const [env] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      rows<{ envelope: any }>(
        tx,
        sql`select envelope from outbox where tenant_id = ${shop.tenantId}
              and type = 'billing.invoice.issued.v1' and envelope->'data'->>'reason' = 'renewal'`,
      ),
    );
    expect(EventEnvelopeSchema.safeParse(env!.envelope).success).toBe(true);
    expect(InvoiceIssued.schema.strict().safeParse(env!.envelope.data).success).toBe(true);
    const v7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    // the batch mints its ids (renewals.store: MINT_*): UUIDv7s of the statement's millisecond (real time)
    const invoiceId: string = env!.envelope.data.invoiceId;
    expect(env!.envelope.id).toMatch(v7);
    expect(invoiceId).toMatch(v7);
    expect(invoiceId).not.toBe(env!.envelope.id);
    const ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms(env!.envelope.id)).toBe(ms(invoiceId));
    expect(Math.abs(ms(invoiceId) - Date.now())).toBeLessThan(10 * 60_000);
  });

  it('issues nothing twice: run again, or two runs at once', async () => {
    const shop = await openShop(h);
    for (let i = 0; i < 4; i += 1) await activeService(h, shop);
    clock.set('2026-03-20');
    const [a, b] = await Promise.all([jobsOf(h).renew(), jobsOf(h).renew()]);
    expect(a + b).toBeGreaterThanOrEqual(4); // other tests' tenants may be due too
    expect(await jobsOf(h).renew()).toBe(0);
    const invoices = await renewalInvoices(h, shop.tenantId);
    expect(invoices).toHaveLength(4);
    expect(new Set(invoices.map((i) => i.service_id)).size).toBe(4);
    expect(invoices.map((i) => i.number)).toEqual([
      'INV-2026-000005',
      'INV-2026-000006',
      'INV-2026-000007',
      'INV-2026-000008',
    ]);
    const events = await outboxInOrder(h, shop.tenantId, ['billing.invoice.issued.v1']);
    expect(events.filter((e) => e.data.reason === 'renewal')).toHaveLength(4);
  });

  it('refuses a second renewal of the same service and period in the database itself', async () => {
    const shop = await openShop(h);
    const s = await activeService(h, shop);
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    expect(await renewalInvoices(h, shop.tenantId)).toHaveLength(1);
    // another invoice, the same service and period
    await expect(
      h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
        tx.execute(sql`insert into service_renewals (tenant_id, service_id, period_start, period_end, invoice_id)
                       values (${shop.tenantId}, ${s.serviceId}, '2026-04-01', '2026-05-01', ${s.orderInvoiceId})`),
      ),
    ).rejects.toThrow();
  });

  it('issues a due set bigger than a batch (batch size 3) completely, numbers gapless per tenant', async () => {
    const [A, B] = [await openShop(h), await openShop(h)];
    for (let i = 0; i < 5; i += 1) await activeService(h, A);
    for (let i = 0; i < 3; i += 1) await activeService(h, B);
    clock.set('2026-03-31');
    expect(await jobsOf(h).renew()).toBeGreaterThanOrEqual(8);
    const numbers = async (shop: Shop) => (await renewalInvoices(h, shop.tenantId)).map((i) => i.number);
    expect(await numbers(A)).toEqual([6, 7, 8, 9, 10].map((n) => `INV-2026-${String(n).padStart(6, '0')}`));
    expect(await numbers(B)).toEqual([4, 5, 6].map((n) => `INV-2026-${String(n).padStart(6, '0')}`));
  });

  it('walks several lanes at once, each tenant in one: every service once, numbers gapless per tenant', async () => {
    const shops = [await openShop(h), await openShop(h), await openShop(h), await openShop(h)];
    for (const shop of shops) for (let i = 0; i < 2; i += 1) await activeService(h, shop);
    clock.set('2026-03-31');
    const outbox = createOutbox({ source: 'billing', registry: eventRegistry });
    const settlement = createSettlement({ outbox, sealer: createSealer(randomBytes(32).toString('hex')) });
    const lanes = () =>
      createLifecycleJobs({ db: h.db, settlement, now: clock.now, renewalBatchSize: 1, renewalLanes: 3 });
    // two three-lane runs at once: six walks, one batch of one service each at a time
    const [a, b] = await Promise.all([lanes().renew(), lanes().renew()]);
    expect(a + b).toBeGreaterThanOrEqual(8);
    for (const shop of shops) {
      const invoices = await renewalInvoices(h, shop.tenantId);
      expect(new Set(invoices.map((i) => i.service_id)).size).toBe(2);
      expect(invoices.map((i) => i.number).sort()).toEqual(['INV-2026-000003', 'INV-2026-000004']);
    }
    expect(await lanes().renew()).toBe(0);
  });

  it('walks past services not yet due to the due ones behind them, batch after batch, each once', async () => {
    // A issues on the due date itself, B 14 days before: on 20 March only B's services are due, and they
    // come after more of A's than one batch walks (batch size 3 walks 12)
    const [A, B] = [await openShop(h), await openShop(h)];
    expect(
      (await api.patch('/v1/billing-settings/lifecycle', { renewalLeadDays: 0 }, A.resellerToken)).status,
    ).toBe(200);
    for (let i = 0; i < 13; i += 1) await activeService(h, A);
    for (let i = 0; i < 2; i += 1) await activeService(h, B);
    const numbers = async (shop: Shop) => (await renewalInvoices(h, shop.tenantId)).map((i) => i.number);
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    expect(await numbers(A)).toEqual([]);
    expect(await numbers(B)).toEqual(['INV-2026-000003', 'INV-2026-000004']);
    clock.set('2026-04-01');
    await jobsOf(h).renew();
    await jobsOf(h).renew();
    expect(await numbers(A)).toEqual(
      Array.from({ length: 13 }, (_, i) => `INV-2026-${String(i + 14).padStart(6, '0')}`),
    );
    expect(await numbers(B)).toEqual(['INV-2026-000003', 'INV-2026-000004']);
  }, 60_000);

  it('moves the next due date one cycle from the old due date when the renewal is paid, even late', async () => {
    const shop = await openShop(h);
    const s = await activeService(h, shop);
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    clock.set('2026-04-09'); // paid 8 days late
    const paid = await api.post(`/v1/invoices/${renewal!.id}/payments`, { amount: 999 }, shop.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    expect((await s.service()).nextDueDate).toBe('2026-05-01');
    // the next period is renewed once, from the new due date
    clock.set('2026-04-20');
    await jobsOf(h).renew();
    const invoices = await renewalInvoices(h, shop.tenantId);
    expect(invoices.map((i) => i.due_date)).toEqual(['2026-04-01', '2026-05-01']);
  });

  it('bills the add-ons with the service: a monthly add-on twelve times on an annual renewal', async () => {
    const shop = await openShop(h);
    const addons = await client(h.catalogUrl).put(
      `/v1/products/${shop.productId}/addons`,
      { addons: [{ name: 'SSL', prices: [{ currency: 'EUR', cycle: 'monthly', price: 300 }] }] },
      shop.resellerToken,
    );
    expect(addons.status).toBe(200);
    const s = await activeService(h, shop, {
      cycle: 'annually',
      addons: [{ addonId: addons.body.items[0].id, cycle: 'monthly' }],
    });
    expect((await s.service()).nextDueDate).toBe('2027-03-01');
    clock.set('2027-02-20');
    await jobsOf(h).renew();
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    const invoice = (await api.get(`/v1/invoices/${renewal!.id}`, s.client.token)).body;
    expect(invoice.lines).toEqual([
      expect.objectContaining({ amount: 9999, periodStart: '2027-03-01', periodEnd: '2028-03-01' }),
      expect.objectContaining({
        description: expect.stringContaining('SSL'),
        amount: 3600,
        serviceId: s.serviceId,
      }),
    ]);
    expect(invoice.total).toBe(9999 + 3600);
  });

  it('issues the rest after a run that failed mid-way, nothing twice and no gap in the numbers', async () => {
    const shop = await openShop(h);
    const services = [];
    for (let i = 0; i < 7; i += 1) services.push(await activeService(h, shop));
    const poisoned = [...services].sort((a, b) => (a.serviceId < b.serviceId ? -1 : 1))[4]!.serviceId;
    // the batch holding one service fails (as a crash would): its transaction leaves nothing behind
    const scope = tenantScope(shop.tenantId);
    await h.db.withTenant(scope, (tx) =>
      tx.execute(
        sql.raw(`
        create or replace function test_fail_renewal() returns trigger language plpgsql as $$
        begin
          if new.service_id = '${poisoned}' then raise exception 'crash in the middle of a batch'; end if;
          return new;
        end $$;
        create trigger test_fail_renewal before insert on service_renewals
          for each row execute function test_fail_renewal();`),
      ),
    );
    clock.set('2026-03-20');
    await expect(jobsOf(h).renew()).rejects.toThrow();
    const partial = (await renewalInvoices(h, shop.tenantId)).length;
    expect(partial).toBeLessThan(7);
    await h.db.withTenant(scope, (tx) => tx.execute(sql`drop trigger test_fail_renewal on service_renewals`));
    await jobsOf(h).renew();
    const invoices = await renewalInvoices(h, shop.tenantId);
    expect(invoices).toHaveLength(7);
    expect(new Set(invoices.map((i) => i.service_id)).size).toBe(7);
    expect(invoices.map((i) => i.number)).toEqual(
      [8, 9, 10, 11, 12, 13, 14].map((n) => `INV-2026-${String(n).padStart(6, '0')}`),
    );
  });

  it('runs once per period through the kit scheduler, whatever the replicas', async () => {
    const shop = await openShop(h);
    await activeService(h, shop);
    clock.set('2026-03-20');
    const [job] = lifecycleSchedule(jobsOf(h), createLogger({ service: 'test', level: 'silent' }));
    const once = { ...job!, period: () => `test-${newId()}` };
    const period = once.period();
    const replica = () => createScheduler({ db: h.db }).tick({ ...once, period: () => period });
    expect((await Promise.all([replica(), replica()])).sort()).toEqual(['ran', 'skipped']);
    expect(await replica()).toBe('skipped'); // the period is done
    expect(await renewalInvoices(h, shop.tenantId)).toHaveLength(1);
  });

  it('numbers renewals in the tenant’s own format, as the core formats its numbers', async () => {
    const shop = await openShop(h);
    const patched = await api.patch(
      '/v1/billing-settings',
      { invoicePrefix: 'ACME/', invoicePadding: 1, invoiceYearlyReset: false },
      shop.resellerToken,
    );
    expect(patched.status).toBe(200);
    const services = [];
    for (let i = 0; i < 10; i += 1) services.push(await activeService(h, shop));
    expect(
      (await api.get(`/v1/invoices/${services[9]!.orderInvoiceId}`, shop.resellerToken)).body.number,
    ).toBe('ACME/10');
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    expect((await renewalInvoices(h, shop.tenantId)).map((i) => i.number).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `ACME/${11 + i}`).sort(),
    );
  });

  it('renews a service due on 31 January for the month that ends on the last day of February', async () => {
    clock.set('2027-12-31');
    const shop = await openShop(h);
    const s = await activeService(h, shop);
    expect((await s.service()).nextDueDate).toBe('2028-01-31');
    clock.set('2028-01-20');
    await jobsOf(h).renew();
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    const invoice = (await api.get(`/v1/invoices/${renewal!.id}`, s.client.token)).body;
    expect(invoice.number).toBe('INV-2028-000001'); // the year of issue, its own yearly series
    expect(invoice.lines[0]).toMatchObject({ periodStart: '2028-01-31', periodEnd: '2028-02-29' }); // leap year
  });

  it('issues no renewal for a service pending cancellation or not active', async () => {
    const shop = await openShop(h);
    const s = await activeService(h, shop);
    await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      tx.execute(sql`update client_services set cancel_at = 'end_of_period' where id = ${s.serviceId}`),
    );
    const pendingOrder = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      s.client.token,
    );
    expect(pendingOrder.status).toBe(201);
    clock.set('2026-03-31');
    await jobsOf(h).renew();
    expect(await renewalInvoices(h, shop.tenantId)).toEqual([]);
  });

  // 0034 dropped the renewal key's foreign keys (its only writer inserts the key, locks the service and inserts
  // the invoice in one statement): what they guaranteed is checked here, over every key the tests above wrote
  // (concurrent runs, a run that crashed mid-batch, batches of 3), and the delete side is still refused
  // (0036: invoices and services are never deleted nor re-keyed; 0039 dropped 0034's narrower guards).
  it('keeps every renewal key naming its invoice, its line and its service; neither can be deleted', async () => {
    const shop = await openShop(h);
    const s = await activeService(h, shop);
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    const [orphans] = await h.db.withTenant(allTenants, (tx) =>
      rows<{ keys: number; orphans: number }>(
        tx,
        sql`select count(*)::int as keys,
                   count(*) filter (where i.id is null or s.id is null or l.invoice_id is null
                                      or i.reason <> 'renewal' or i.client_id <> s.client_id)::int as orphans
              from service_renewals r
              left join invoices i on i.tenant_id = r.tenant_id and i.id = r.invoice_id
              left join client_services s on s.tenant_id = r.tenant_id and s.id = r.service_id
              left join lateral (select l.invoice_id from invoice_lines l
                                  where l.tenant_id = r.tenant_id and l.invoice_id = r.invoice_id
                                    and l.position = 1 and l.service_id = r.service_id
                                    and l.period_start = r.period_start and l.period_end = r.period_end) l on true`,
      ),
    );
    expect(orphans!.keys).toBeGreaterThan(20);
    expect(orphans!.orphans).toBe(0);
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    const scope = tenantScope(shop.tenantId);
    const refusal = (attempt: SQL) =>
      h.db
        .withTenant(scope, (tx) => tx.execute(attempt))
        .then(
          () => 'done',
          (e: { message: string; cause?: { message: string } }) => `${e.message} ${e.cause?.message ?? ''}`,
        );
    expect(await refusal(sql`delete from invoices where id = ${renewal!.id}`)).toMatch(
      /cannot be deleted or re-keyed/,
    );
    expect(await refusal(sql`update invoices set id = ${newId()} where id = ${renewal!.id}`)).toMatch(
      /cannot be deleted or re-keyed/,
    );
    expect(await refusal(sql`delete from client_services where id = ${s.serviceId}`)).toMatch(
      /cannot be deleted or re-keyed/,
    );
    expect(await refusal(sql`update client_services set id = ${newId()} where id = ${s.serviceId}`)).toMatch(
      /cannot be deleted or re-keyed/,
    );
    expect((await renewalInvoices(h, shop.tenantId)).map((i) => i.id)).toEqual([renewal!.id]);
  });
  // 0036 replaced the foreign keys invoices → clients and invoice_lines → invoices, client_services by a check
  // of each statement's new rows and by parents that are never deleted nor re-keyed: what the keys guaranteed
  // is checked here, over every invoice and line the tests above wrote (orders, renewals, concurrent runs, a
  // crash mid-batch), and each way of breaking it is refused.
  it('keeps every invoice naming its client and every line its invoice and service; parents stay', async () => {
    const shop = await openShop(h);
    const s = await activeService(h, shop);
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    const [seen] = await h.db.withTenant(allTenants, (tx) =>
      rows<{ invoices: number; lines: number; orphans: number }>(
        tx,
        sql`select (select count(*) from invoices)::int as invoices,
                   (select count(*) from invoice_lines)::int as lines,
                   ((select count(*) from invoices i
                      where not exists (select 1 from clients c where c.tenant_id = i.tenant_id and c.id = i.client_id))
                    + (select count(*) from invoice_lines l
                        where not exists (select 1 from invoices i where i.tenant_id = l.tenant_id and i.id = l.invoice_id)
                           or (l.service_id is not null
                               and not exists (select 1 from client_services x
                                                where x.tenant_id = l.tenant_id and x.id = l.service_id))))::int
                     as orphans`,
      ),
    );
    expect(seen!.invoices).toBeGreaterThan(20);
    expect(seen!.lines).toBeGreaterThan(20);
    expect(seen!.orphans).toBe(0);

    const [renewal] = await renewalInvoices(h, shop.tenantId);
    const scope = tenantScope(shop.tenantId);
    const attempt = (statement: SQL) =>
      h.db
        .withTenant(scope, (tx) => tx.execute(statement))
        .then(
          () => 'done',
          (e: { message: string; cause?: { message: string } }) => `${e.message} ${e.cause?.message ?? ''}`,
        );
    const line = (invoiceId: string, serviceId: string | null, position = 9) =>
      sql`insert into invoice_lines (tenant_id, invoice_id, position, description, quantity, unit_price, setup_fee,
                                     discount, amount, tax, total, service_id)
          values (${shop.tenantId}, ${invoiceId}, ${position}, 'x', 1, 0, 0, 0, 0, 0, 0, ${serviceId})`;
    // the insert side: a line of a missing invoice or service, an invoice of a missing client
    expect(await attempt(line(newId(), null))).toMatch(/names invoice .* which does not exist/);
    expect(await attempt(line(renewal!.id, newId()))).toMatch(/names service .* which does not exist/);
    expect(await attempt(line(renewal!.id, s.serviceId))).toBe('done'); // both there: accepted
    expect(
      await attempt(sql`insert into invoices (id, tenant_id, client_id, reason, number, status, currency, subtotal,
                                               tax_name, tax_rate_bps, tax_total, total, buyer, due_date)
                        values (${newId()}, ${shop.tenantId}, ${newId()}, 'manual', ${`X-${newId()}`}, 'unpaid',
                                'EUR', 0, 'Tax', 0, 0, 0, '{}', '2026-04-01')`),
    ).toMatch(/names client .* which does not exist/);
    // a reference moved on UPDATE
    expect(await attempt(sql`update invoices set client_id = ${newId()} where id = ${renewal!.id}`)).toMatch(
      /names client .* which does not exist/,
    );
    expect(
      await attempt(sql`update invoice_lines set service_id = ${newId()} where invoice_id = ${renewal!.id}`),
    ).toMatch(/names service .* which does not exist/);
    expect(
      await attempt(sql`update invoice_lines set invoice_id = ${newId()} where invoice_id = ${renewal!.id}`),
    ).toMatch(/names invoice .* which does not exist/);
    // the referenced side: never deleted, never re-keyed (a client too, which no renewal key names)
    expect(await attempt(sql`delete from clients where id = ${s.client.id}`)).toMatch(/cannot be deleted/);
    expect(await attempt(sql`update clients set id = ${newId()} where id = ${s.client.id}`)).toMatch(
      /cannot be deleted or re-keyed/,
    );
    expect(await attempt(sql`delete from invoices where id = ${s.orderInvoiceId}`)).toMatch(
      /cannot be deleted/,
    );
    expect(await attempt(sql`update invoices set id = ${newId()} where id = ${s.orderInvoiceId}`)).toMatch(
      /cannot be deleted or re-keyed/,
    );
    const fresh = await activeService(h, shop); // a service no renewal key names (its guard would speak first)
    expect(await attempt(sql`delete from client_services where id = ${fresh.serviceId}`)).toMatch(
      /cannot be deleted/,
    );
    expect(
      await attempt(sql`update client_services set id = ${newId()} where id = ${fresh.serviceId}`),
    ).toMatch(/cannot be deleted or re-keyed/);
  });
});
