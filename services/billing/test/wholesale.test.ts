import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import {
  client,
  outboxEvents,
  PLATFORM_TENANT_ID,
  resellerProfile,
  startBilling,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';
import { activeService, jobsOf, openShop, renewalInvoices, testClock } from './support/lifecycle';

/**
 * The order line's wholesale price as catalog's internal quote stores it in the order's snapshot
 * (`details.wholesale: { price, setupFee } | null` on the product line, with `details.source`: null for the
 * reseller's own product). The shops here sell their own product, so the test writes what a resold platform
 * product's line carries.
 */
async function resoldAt(
  h: Harness,
  shop: Shop,
  serviceId: string,
  price: number,
  setupFee = 0,
  addonPrice: number | null = null,
) {
  const scope = tenantScope(shop.tenantId);
  await h.db.withTenant(scope, (tx) =>
    tx.execute(sql`
      update orders o set snapshot = jsonb_set(o.snapshot, '{lines}', (
        select jsonb_agg(case when x ->> 'kind' = 'product'
                              then jsonb_set(x, '{details}', (x -> 'details') || jsonb_build_object(
                                     'source', 'resold', 'wholesale',
                                     jsonb_build_object('price', ${price}::int, 'setupFee', ${setupFee}::int)))
                              when x ->> 'kind' = 'addon' and ${addonPrice}::int is not null
                              then jsonb_set(x, '{details}', (x -> 'details') || jsonb_build_object(
                                     'source', 'resold', 'wholesale',
                                     jsonb_build_object('price', ${addonPrice}::int, 'setupFee', 0)))
                              else x end order by n)
          from jsonb_array_elements(o.snapshot -> 'lines') with ordinality t(x, n)))
       where o.tenant_id = ${shop.tenantId}
         and o.id = (select order_id from client_services where tenant_id = ${shop.tenantId} and id = ${serviceId})`),
  );
}

// Twice: with both walls, and with row-level security opened (the stores' own filters alone must hold).
describe.each([
  ['with both walls', false],
  ['with RLS opened (the stores’ filters alone)', true],
])('the reseller wholesale economy %s', (_wall, firstWallOnly) => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let admin: string;
  let a: Shop;
  let b: Shop;
  const A: { services: string[]; own: string; clientToken: string } = {
    services: [],
    own: '',
    clientToken: '',
  };
  let bService: string;
  const run = () => h.billing.built.services.wholesale.run();
  const postKey = (path: string, body: unknown, token: string, key: string) =>
    api.call('POST', path, { body, token, headers: withKey(key) });
  const missing = '01a22b7d-0000-7000-8000-000000000000';

  beforeAll(async () => {
    h = await startBilling({ now: clock.now, lifecycleJobs: false }, { firstWallOnly });
    api = client(h.url);
    admin = h.issuer.tokenFor('admin', newId());
    [a, b] = [await openShop(h), await openShop(h)];
    // identity announces A (its brand becomes its name as the platform's client); B is never announced
    expect(
      await h.deliver('identity.reseller.created.v1', a.tenantId, {
        ...resellerProfile(a.tenantId),
        brandName: 'Acme Hosting',
      }),
    ).toBe('ack');
    clock.set('2026-03-01');
    for (const _ of [1, 2]) {
      const s = await activeService(h, a); // retail 999 monthly + 500 setup
      await resoldAt(h, a, s.serviceId, 600, 200);
      A.services.push(s.serviceId);
      A.clientToken = s.client.token;
    }
    A.own = (await activeService(h, a)).serviceId; // A's own product: no wholesale
    bService = (await activeService(h, b)).serviceId;
    await resoldAt(h, b, bService, 700);
  }, 120_000);
  afterAll(() => h.stop(), 30_000);

  let aInvoice: any;

  it('bills each reseller one invoice, in the platform’s series, equal to its resold services’ wholesale prices', async () => {
    expect(await run()).toEqual({ charged: 3, invoiced: 2, suspended: 0, unsuspended: 0 });
    const mine = await api.get('/v1/wholesale/invoices', a.resellerToken);
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    aInvoice = mine.body.items[0];
    // 2 × (600 + 200 setup): the first period carries the wholesale setup fee
    const sum = aInvoice.charges.reduce((t: number, c: any) => t + c.wholesalePrice + c.wholesaleSetupFee, 0);
    expect([aInvoice.subtotal, sum]).toEqual([1600, 1600]);
    expect(aInvoice.charges.map((c: any) => c.serviceId).sort()).toEqual([...A.services].sort());
    expect(aInvoice.charges.map((c: any) => [c.periodStart, c.periodEnd])).toEqual([
      ['2026-03-01', '2026-04-01'],
      ['2026-03-01', '2026-04-01'],
    ]);
    expect(aInvoice).toMatchObject({
      tenantId: PLATFORM_TENANT_ID,
      clientId: a.tenantId,
      resellerId: a.tenantId,
      status: 'unpaid',
      currency: 'EUR',
      dueDate: '2026-03-08', // the platform's 7 days' terms
    });
    expect(aInvoice.number).toMatch(/^INV-2026-\d{6}$/);
    expect(aInvoice.lines).toHaveLength(2);
    const theirs = await api.get('/v1/wholesale/invoices', b.resellerToken);
    expect(theirs.body.items.map((i: any) => [i.total, i.resellerId])).toEqual([[700, b.tenantId]]);
    // both in the platform's one gapless series
    const numbers = [aInvoice.number, theirs.body.items[0].number].sort();
    expect(Number(numbers[1].slice(-6)) - Number(numbers[0].slice(-6))).toBe(1);
    // the platform's staff see both, or one reseller's
    const all = await api.get('/v1/wholesale/invoices', admin);
    expect(all.body.items).toHaveLength(2);
    const one = await api.get(`/v1/wholesale/invoices?resellerId=${b.tenantId}`, admin);
    expect(one.body.items.map((i: any) => i.resellerId)).toEqual([b.tenantId]);
    // the reseller is the platform's client by its brand (identity's event); B got a placeholder row
    const buyers = await h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
      rows<{ id: string; name: string }>(tx, sql`select id, name from clients order by name`),
    );
    expect(buyers.find((c) => c.id === a.tenantId)?.name).toBe('Acme Hosting');
    expect(buyers.some((c) => c.id === b.tenantId)).toBe(true);
  });

  it('running again, or again the same day, issues nothing twice', async () => {
    expect(await run()).toEqual({ charged: 0, invoiced: 0, suspended: 0, unsuspended: 0 });
    await Promise.all([run(), run()]);
    const all = await api.get('/v1/wholesale/invoices', admin);
    expect(all.body.items).toHaveLength(2);
    const [n] = await h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from wholesale_charges`),
    );
    expect(n!.n).toBe(3);
    // billing.invoice.issued.v1 once per wholesale invoice (reason 'manual', purpose 'wholesale'), in the
    // platform's tenant, addressed to the reseller as the platform's client
    const issued = await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.invoice.issued.v1');
    const wholesale = issued.filter((e) => e.purpose === 'wholesale');
    expect(wholesale.map((e) => e.invoiceId).sort()).toEqual(all.body.items.map((i: any) => i.id).sort());
    const theirs = all.body.items.find((i: any) => i.resellerId === a.tenantId);
    expect(wholesale.find((e) => e.invoiceId === theirs.id)).toEqual({
      invoiceId: theirs.id,
      number: theirs.number,
      clientId: a.tenantId,
      currency: 'EUR',
      subtotal: theirs.subtotal,
      tax: theirs.taxTotal,
      total: theirs.total,
      dueDate: '2026-03-08',
      reason: 'manual',
      purpose: 'wholesale',
    });
  });

  it('never shows a reseller another’s invoice, nor a client any wholesale price', async () => {
    const foreign = await api.get(`/v1/wholesale/invoices/${aInvoice.id}`, b.resellerToken);
    const absent = await api.get(`/v1/wholesale/invoices/${missing}`, b.resellerToken);
    expect([foreign.status, foreign.body.code]).toEqual([404, 'billing.invoice_not_found']);
    expect([absent.status, absent.body.code]).toEqual([foreign.status, foreign.body.code]);
    const pay = await api.post(`/v1/wholesale/invoices/${aInvoice.id}/apply-credit`, {}, b.resellerToken);
    expect([pay.status, pay.body.code]).toEqual([404, 'billing.invoice_not_found']);
    const pdf = await fetch(`${h.url}/v1/wholesale/invoices/${aInvoice.id}/pdf`, {
      headers: { authorization: `Bearer ${a.resellerToken}` },
    });
    expect([pdf.status, pdf.headers.get('content-type')]).toEqual([200, 'application/pdf']);
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
    const foreignPdf = await api.get(`/v1/wholesale/invoices/${aInvoice.id}/pdf`, b.resellerToken);
    expect([foreignPdf.status, foreignPdf.body.code]).toEqual([404, 'billing.invoice_not_found']);
    expect((await api.get(`/v1/wholesale/invoices/${aInvoice.id}/pdf`, A.clientToken)).status).toBe(403);
    // the platform's invoice is not the reseller's tenant's invoice either
    const viaInvoices = await api.get(`/v1/invoices/${aInvoice.id}`, a.resellerToken);
    expect(viaInvoices.status).toBe(404);
    // clients: no wholesale route, and nothing they can read carries the wholesale price
    expect((await api.get('/v1/wholesale/invoices', A.clientToken)).status).toBe(403);
    expect((await api.get(`/v1/wholesale/invoices/${aInvoice.id}`, A.clientToken)).status).toBe(403);
    expect((await api.get(`/v1/invoices/${aInvoice.id}`, A.clientToken)).status).toBe(404);
    const seen = JSON.stringify([
      (await api.get('/v1/invoices', A.clientToken)).body,
      (await api.get('/v1/client-services', A.clientToken)).body,
    ]);
    expect(seen).not.toMatch(/wholesale/i);
    expect(seen).not.toMatch(/\b600\b/);
  });

  it('the reseller pays it from its balance at the platform, once', async () => {
    // the platform's staff credit the reseller's account (a client of the platform's tenant)
    const deposit = await postKey(
      `/v1/credit/${a.tenantId}`,
      { amount: 5000, currency: 'EUR' },
      admin,
      'dep-a',
    );
    expect(deposit.status).toBe(201);
    const paid = await postKey(
      `/v1/wholesale/invoices/${aInvoice.id}/apply-credit`,
      {},
      a.resellerToken,
      'w-pay-1',
    );
    expect(paid.status).toBe(201);
    expect([paid.body.invoice.status, paid.body.payment.amount]).toEqual(['paid', 1600]);
    const again = await postKey(
      `/v1/wholesale/invoices/${aInvoice.id}/apply-credit`,
      {},
      a.resellerToken,
      'w-pay-1',
    );
    expect([again.status, again.body.payment.id]).toEqual([201, paid.body.payment.id]);
    const balance = await api.get(`/v1/credit/${a.tenantId}`, admin);
    expect(balance.body.balances).toEqual([{ currency: 'EUR', amount: 3400 }]);
    // the reseller reads its own balance at the platform; another reseller only ever its own
    const own = await api.get('/v1/wholesale/balance', a.resellerToken);
    expect(own.body).toEqual({ resellerId: a.tenantId, balances: [{ currency: 'EUR', amount: 3400 }] });
    const theirs = await api.get(`/v1/wholesale/balance?resellerId=${a.tenantId}`, b.resellerToken);
    expect(theirs.body).toEqual({ resellerId: b.tenantId, balances: [] });
    const named = await api.get(`/v1/wholesale/balance?resellerId=${a.tenantId}`, admin);
    expect(named.body.balances).toEqual(own.body.balances);
    const unnamed = await api.get('/v1/wholesale/balance', admin);
    expect([unnamed.status, JSON.stringify(unnamed.body)]).toEqual([
      400,
      expect.stringContaining('resellerId'),
    ]);
    const events = await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.invoice.paid.v1');
    expect(events.filter((e) => e.invoiceId === aInvoice.id)).toHaveLength(1);
  });

  it('bills the next period once its client paid it, without the setup fee; an unpaid one is not billed', async () => {
    clock.set('2026-03-15'); // a week past the wholesale invoices' due date: the nightly dunning runs
    await jobsOf(h).dun();
    clock.set('2026-03-20');
    await jobsOf(h).renew(); // renewals due 04-01 for every service
    const renewals = (await renewalInvoices(h, a.tenantId)).filter((r) => r.service_id === A.services[0]);
    expect(renewals).toHaveLength(1);
    await api.post(`/v1/invoices/${renewals[0]!.id}/payments`, { amount: 999 }, a.resellerToken);
    expect(await run()).toMatchObject({ charged: 0, invoiced: 0 }); // its period has not started yet
    clock.set('2026-04-01');
    expect(await run()).toMatchObject({ charged: 1, invoiced: 1 });
    const mine = await api.get('/v1/wholesale/invoices', a.resellerToken);
    const next = mine.body.items.find((i: any) => i.id !== aInvoice.id);
    expect(next.charges.map((c: any) => [c.serviceId, c.periodStart, c.periodEnd, c.wholesalePrice])).toEqual(
      [[A.services[0], '2026-04-01', '2026-05-01', 600]],
    );
    expect(next.total).toBe(600);
  });

  it('reports the reseller’s margin (retail − wholesale), its own only', async () => {
    const q = '?from=2026-01-01&to=2027-01-01';
    const mine = await api.get(`/v1/billing-reports/summary${q}`, a.resellerToken);
    expect(mine.status).toBe(200);
    // March: 2 × 1499 retail (999 + 500 setup) against 2 × 800; April: 999 against 600
    expect(mine.body.margin).toEqual([
      { currency: 'EUR', retail: 2 * 1499 + 999, wholesale: 1600 + 600, margin: 2 * 1499 + 999 - 2200 },
    ]);
    const theirs = await api.get(`/v1/billing-reports/summary${q}`, b.resellerToken);
    expect(theirs.body.margin).toEqual([{ currency: 'EUR', retail: 1499, wholesale: 700, margin: 799 }]);
    const platform = await api.get(`/v1/billing-reports/summary${q}`, admin);
    expect(platform.body.margin).toBeNull();
    const named = await api.get(`/v1/billing-reports/summary${q}&tenantId=${b.tenantId}`, admin);
    expect(named.body.margin).toEqual(theirs.body.margin);
  });

  it('reminds by default; with the platform’s policy set to suspend, suspends the reseller’s resold services until it pays', async () => {
    expect((await api.get('/v1/wholesale/policy', a.resellerToken)).body).toEqual({
      unpaidAction: 'remind',
      suspendAfterDays: 14,
    });
    const b1 = (await api.get('/v1/wholesale/invoices', b.resellerToken)).body.items[0];
    // B's invoice (due 03-08) was reminded a week late like any invoice (the platform's reminder days);
    // 24 days late now, nothing is suspended by default
    const reminders = await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.invoice.reminder_due.v1');
    expect(reminders.filter((r) => r.invoiceId === b1.id).map((r) => r.offsetDays)).toEqual([7]);
    expect(reminders.filter((r) => r.invoiceId === aInvoice.id)).toEqual([]); // A had paid
    expect((await run()).suspended).toBe(0);

    const refused = await api.put(
      '/v1/wholesale/policy',
      { unpaidAction: 'suspend', suspendAfterDays: 10 },
      b.resellerToken,
    );
    expect(refused.status).toBe(403);
    const bad = await api.put('/v1/wholesale/policy', { unpaidAction: 'terminate' }, admin);
    expect([bad.status, JSON.stringify(bad.body)]).toEqual([400, expect.stringContaining('unpaidAction')]);
    const set = await api.put(
      '/v1/wholesale/policy',
      { unpaidAction: 'suspend', suspendAfterDays: 10 },
      admin,
    );
    expect(set.body).toEqual({ unpaidAction: 'suspend', suspendAfterDays: 10 });

    expect((await run()).suspended).toBe(1); // B's one resold service; A paid, A untouched
    expect((await run()).suspended).toBe(0);
    const status = async (shop: Shop, id: string) =>
      (await api.get(`/v1/client-services/${id}`, shop.resellerToken)).body.status as string;
    expect(await status(b, bService)).toBe('suspended');
    expect(await status(a, A.services[1]!)).toBe('active');
    const asked = await outboxEvents(h, b.tenantId, 'billing.service.suspend_requested.v1');
    expect(asked.map((e) => e.serviceId)).toEqual([bService]);
    expect(JSON.stringify(asked)).not.toMatch(/wholesale/i); // white-label: the client's provider suspended it

    // B pays by hand at the platform (staff record it): the next run lifts it
    await postKey(`/v1/invoices/${b1.id}/payments`, { amount: b1.total }, admin, 'b-pay');
    expect(await run()).toMatchObject({ unsuspended: 1, suspended: 0 });
    expect(await status(b, bService)).toBe('active');
    const lifted = await outboxEvents(h, b.tenantId, 'billing.service.unsuspend_requested.v1');
    expect(lifted.map((e) => e.serviceId)).toEqual([bService]);
    await api.put('/v1/wholesale/policy', { unpaidAction: 'remind', suspendAfterDays: 14 }, admin);
  });

  it('lets the platform’s staff run the nightly lifecycle now; nobody else', async () => {
    const res = await api.post('/v1/billing-runs', {}, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ asOf: clock.today(), clockOffsetDays: 0 });
    expect((await api.post('/v1/billing-runs', {}, a.resellerToken)).status).toBe(403);
    expect((await api.post('/v1/billing-runs', {}, A.clientToken)).status).toBe(403);
    // a test's clock (like production's) is not the demo's: it cannot be moved through the API
    const moved = await api.post('/v1/billing-runs', { advanceDays: 3 }, admin);
    expect([moved.status, moved.body.code]).toEqual([422, 'billing.clock_fixed']);
    const bad = await api.post('/v1/billing-runs', { advanceDays: -1 }, admin);
    expect([bad.status, JSON.stringify(bad.body)]).toEqual([400, expect.stringContaining('advanceDays')]);
  });
  it('charges a resold add-on with its service: one add-on cycle with the order, a term’s worth on renewal', async () => {
    const addons = await client(h.catalogUrl).put(
      `/v1/products/${a.productId}/addons`,
      { addons: [{ name: 'SSL', prices: [{ currency: 'EUR', cycle: 'monthly', price: 300 }] }] },
      a.resellerToken,
    );
    expect(addons.status).toBe(200);
    clock.set('2026-04-01');
    const s = await activeService(h, a, {
      cycle: 'annually',
      addons: [{ addonId: addons.body.items[0].id, cycle: 'monthly' }],
    });
    await resoldAt(h, a, s.serviceId, 6000, 0, 200);
    await run();
    const chargeOf = async () =>
      (await api.get('/v1/wholesale/invoices', a.resellerToken)).body.items
        .flatMap((i: any) => i.charges)
        .filter((c: any) => c.serviceId === s.serviceId)
        .map((c: any) => [c.periodStart, c.wholesalePrice])
        .sort((x: string[], y: string[]) => (x[0]! < y[0]! ? -1 : 1));
    // the order billed the client 9999 and one month of SSL (300); the platform bills 6000 and 200
    expect(await chargeOf()).toEqual([['2026-04-01', 6200]]);
    clock.set('2027-03-20');
    await jobsOf(h).renew();
    const renewal = (await renewalInvoices(h, a.tenantId)).find((r) => r.service_id === s.serviceId)!;
    expect(Number(renewal.total)).toBe(9999 + 12 * 300);
    await api.post(`/v1/invoices/${renewal.id}/payments`, { amount: Number(renewal.total) }, a.resellerToken);
    clock.set('2027-04-01');
    await run();
    expect(await chargeOf()).toEqual([
      ['2026-04-01', 6200],
      ['2027-04-01', 6000 + 12 * 200],
    ]);
    const margin = await api.get(
      '/v1/billing-reports/summary?from=2027-01-01&to=2028-01-01',
      a.resellerToken,
    );
    expect(margin.body.margin).toEqual([
      { currency: 'EUR', retail: 9999 + 3600, wholesale: 8400, margin: 9999 + 3600 - 8400 },
    ]);
  });
});
