import { allTenants, newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { seedCatalogDemo, type CatalogDemo } from '../../catalog/src/service';
import { replacePrices, type Price } from '../../catalog/src/store/prices.store';
import { chargeBatch, chargeCovering, insertChangeCharge } from '../src/store/wholesale.store';
import {
  client,
  newClient,
  outboxEvents,
  PLATFORM_TENANT_ID,
  resellerProfile,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';
import { activeService as shopService, openShop, startLifecycle, testClock } from './support/lifecycle';
import { resoldAt } from './support/wholesale';

/**
 * A change of package of a resold service changes what its reseller owes the platform for the rest of the
 * charged period (wholesale-credits.ts chargeChangedWholesale): the prorated difference of the two wholesale
 * prices for the unused days from the day it applies (proration.ts, half-up per amount in minor units) — an
 * upgrade's on a line of its own on the next consolidated invoice, a downgrade's credited like a
 * cancellation's (netted on the charge's line, or a credit note against the invoice that charged it).
 *
 * The demo catalog's wholesale: Starter 250 and Pro 600 EUR a month (300 and 1000 JPY, set below). Every
 * service here is ordered on 2026-03-01 (its period 03-01 – 04-01, 31 days) and changed on 03-11: 21 unused
 * days. Hand-computed, half-up:
 *   EUR Starter 250 × 21 / 31 = 169.35 → 169, Pro 600 × 21 / 31 = 406.45 → 406: Starter ⇄ Pro ±237
 *   JPY Starter 300 × 21 / 31 = 203.23 → 203, Pro 1000 × 21 / 31 = 677.42 → 677: Starter → Pro +474
 *   cancelled on 03-21 (11 unused days) after the upgrade: Pro 600 × 11 / 31 = 212.90 → 213 (Starter's 89)
 */
describe('a resold service’s change of package mid-period, in its reseller’s wholesale', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let demo: CatalogDemo;
  let b: Shop;
  let admin: string;
  /** A demo reseller: its token, what its clients see for the platform's Starter and Pro, its own product. */
  type Reseller = { id: string; token: string; starter: string; pro: string; custom: string };
  /** A: services whose period was invoiced before they changed; P: periods charged, not invoiced yet. */
  let A: Reseller;
  let P: Reseller;
  type Svc = { serviceId: string; token: string; reseller: Reseller };
  const S: Record<string, Svc> = {};
  /** A's wholesale invoice of the first run (03-01), as its reseller saw it then. */
  let first: any;

  const run = () => h.billing.built.services.wholesale.run();
  const chargeOnly = (day: string) =>
    h.db.withTenant(allTenants, (tx) => chargeBatch(tx, allTenants, day, 100, null));
  const invoices = async (token: string) =>
    (await api.get('/v1/wholesale/invoices', token)).body.items as any[];
  const invoiceOf = async (id: string) => (await api.get(`/v1/wholesale/invoices/${id}`, A.token)).body;
  /** The platform's rows for a service (every kind), oldest first. */
  const rowsOf = (serviceId: string) =>
    h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
      rows<{
        kind: string;
        price: string;
        invoice_id: string | null;
        credit_note_id: string | null;
        change_id: string | null;
      }>(
        tx,
        sql`select kind, price::text, invoice_id, credit_note_id, change_id from wholesale_charges
             where service_id = ${serviceId} order by created_at, id`,
      ),
    );
  const creditNotesOf = async (reseller: string) =>
    (await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.credit_note.issued.v1')).filter(
      (n) => n.clientId === reseller,
    );

  const prices = (monthly: number, annually: number, jpy: number, setup = 0): Price[] => [
    ...['EUR', 'USD'].flatMap((currency) => [
      { currency, cycle: 'monthly' as const, price: BigInt(monthly), setupFee: BigInt(setup) },
      { currency, cycle: 'annually' as const, price: BigInt(annually), setupFee: 0n },
    ]),
    { currency: 'JPY', cycle: 'monthly', price: BigInt(jpy), setupFee: 0n },
  ];

  /** A reseller of the demo catalog (Starter and Pro resold, its own "Acme Site Care"), with JPY prices. */
  async function demoReseller(): Promise<Reseller> {
    const id = newId();
    expect(await h.deliverToCatalog('identity.reseller.created.v1', id, resellerProfile(id))).toBe('ack');
    expect(await h.deliver('identity.reseller.created.v1', id, resellerProfile(id))).toBe('ack');
    demo = await seedCatalogDemo(h.catalogDb, { resellerTenantId: id });
    await h.catalogDb.withTenant(tenantScope(id), async (tx) => {
      await replacePrices(tx, tenantScope(id), 'offering', demo.platform.starter, prices(599, 5990, 700));
      await replacePrices(tx, tenantScope(id), 'offering', demo.platform.pro, prices(1199, 11990, 1500, 500));
    });
    const shop = await client(h.catalogUrl).get(`/v1/storefront/${id}/products?currency=EUR`);
    const products = shop.body.groups.flatMap((g: any) => g.products);
    return {
      id,
      token: h.issuer.tokenFor('reseller', id),
      starter: products.find((p: any) => p.name === 'Starter').id,
      pro: products.find((p: any) => p.name === 'Pro').id,
      custom: demo.reseller.custom,
    };
  }

  /** A client's monthly service of `productId`, ordered today, paid and provisioned: active. */
  async function activeService(r: Reseller, productId: string, currency = 'EUR'): Promise<Svc> {
    const c = await newClient(h, r.id, currency);
    const order = await api.post('/v1/orders', { items: [{ productId, cycle: 'monthly' }] }, c.token);
    expect(order.status).toBe(201);
    const total = (await api.get(`/v1/invoices/${order.body.invoiceId}`, c.token)).body.total;
    await api.post(`/v1/invoices/${order.body.invoiceId}/payments`, { amount: total }, r.token);
    const serviceId = order.body.serviceIds[0] as string;
    expect(
      await h.deliver('provisioning.service.provisioned.v1', r.id, {
        serviceId,
        clientId: c.id,
        module: 'cpanel',
        username: `u${serviceId.slice(-6)}`,
      }),
    ).toBe('ack');
    return { serviceId, token: c.token, reseller: r };
  }

  /** The client changes its package; an upgrade's invoice is paid (the change applies then). */
  async function changeTo(s: Svc, productId: string, key?: string) {
    const res = await api.call('POST', `/v1/client-services/${s.serviceId}/change-package`, {
      body: { productId },
      token: s.token,
      headers: key ? { 'idempotency-key': key } : {},
    });
    expect(res.status).toBe(201);
    if (res.body.invoiceId) {
      const total = (await api.get(`/v1/invoices/${res.body.invoiceId}`, s.token)).body.total;
      const paid = await api.post(
        `/v1/invoices/${res.body.invoiceId}/payments`,
        { amount: total },
        s.reseller.token,
      );
      expect(paid.body.invoice.status).toBe('paid');
    }
    return res.body;
  }

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    admin = h.issuer.tokenFor('admin', newId());
    A = await demoReseller();
    P = await demoReseller();
    // JPY beside the demo's EUR and USD: the platform's wholesale of Starter and Pro
    await h.catalogDb.withTenant(tenantScope(PLATFORM_TENANT_ID), async (tx) => {
      const platform = tenantScope(PLATFORM_TENANT_ID);
      await replacePrices(tx, platform, 'wholesale', demo.platform.starter, prices(250, 2500, 300));
      await replacePrices(tx, platform, 'wholesale', demo.platform.pro, prices(600, 6000, 1000));
    });

    // another reseller, reselling one service of its own shop at 700
    b = await openShop(h);
    expect(await h.deliver('identity.reseller.created.v1', b.tenantId, resellerProfile(b.tenantId))).toBe(
      'ack',
    );
    const theirs = await shopService(h, b);
    await resoldAt(h, b, theirs.serviceId, 700);

    // 03-01, A: charged and invoiced at once
    S.up = await activeService(A, A.starter);
    S.down = await activeService(A, A.pro);
    S.toOwn = await activeService(A, A.starter);
    S.cancel = await activeService(A, A.starter);
    expect(await run()).toMatchObject({ charged: 5, invoiced: 2 });
    [first] = await invoices(A.token);
    expect(first).toMatchObject({ total: 250 + 600 + 250 + 250, status: 'unpaid', currency: 'EUR' });
    // 03-01, P: charged, not invoiced yet (the run's first phase only)
    S.downPending = await activeService(P, P.pro);
    S.jpy = await activeService(P, P.starter, 'JPY');
    S.fromOwn = await activeService(P, P.custom);
    S.brief = await activeService(P, P.starter);
    await chargeOnly('2026-03-01');
    expect((await rowsOf(S.downPending.serviceId)).map((r) => [r.kind, r.price, r.invoice_id])).toEqual([
      ['charge', '600', null],
    ]);
    expect(await rowsOf(S.fromOwn.serviceId)).toEqual([]);

    // 03-02 and 03-03: upgraded, then cancelled the next day, its period not invoiced yet
    clock.set('2026-03-02');
    await changeTo(S.brief, P.pro);
    clock.set('2026-03-03');
    const cancelled = await api.post(
      `/v1/client-services/${S.brief.serviceId}/cancel`,
      { when: 'immediate', reason: 'changed my mind' },
      S.brief.token,
    );
    expect(cancelled.status).toBe(200);

    // 03-11: every other change
    clock.set('2026-03-11');
    await changeTo(S.up, A.pro); // upgrade, paid: applies on payment
    await changeTo(S.down, A.starter, `down-${S.down.serviceId}`); // downgrade: applies at once
    await changeTo(S.toOwn, A.custom); // resold → own (an upgrade for the client)
    await changeTo(S.cancel, A.pro);
    await changeTo(S.downPending, P.starter);
    await changeTo(S.jpy, P.pro);
    await changeTo(S.fromOwn, P.starter); // own → resold (a downgrade for the client)
  }, 180_000);
  afterAll(() => h.stop(), 30_000);

  it('owes an upgrade’s prorated difference on a line of its own of the next consolidated invoice, once', async () => {
    expect((await rowsOf(S.up!.serviceId)).map((r) => [r.kind, r.price])).toEqual([
      ['charge', '250'],
      ['change', '237'],
    ]);
    // a settlement delivered again (the change invoice's payment) applies nothing twice
    const [change] = await h.db.withTenant(tenantScope(A.id), (tx) =>
      rows<{ invoice_id: string }>(
        tx,
        sql`select invoice_id from service_changes where service_id = ${S.up!.serviceId}`,
      ),
    );
    await h.db.withTenant(tenantScope(A.id), (tx) =>
      h.billing.built.services.changePackage.invoicePaid(tx, tenantScope(A.id), change!.invoice_id),
    );
    expect(await rowsOf(S.up!.serviceId)).toHaveLength(2);

    clock.set('2026-03-12');
    await run();
    const next = (await invoices(A.token)).find((i) =>
      i.charges.some((c: any) => c.serviceId === S.up!.serviceId && c.kind === 'change'),
    );
    expect(next.id).not.toBe(first.id);
    // nothing else of A's was pending: an invoice of the two upgrades (this one's and S.cancel's) alone
    expect(next.lines).toHaveLength(2);
    expect(next.total).toBe(2 * 237);
    const line = next.lines.find(
      (l: any) => l.unitPrice === 237 && l.description.startsWith('Change of package Starter → Pro'),
    );
    expect(line).toMatchObject({
      description: 'Change of package Starter → Pro, 21 of 31 days from 2026-03-11 (2026-03-01 – 2026-04-01)',
      amount: 237,
      periodStart: '2026-03-11',
      periodEnd: '2026-04-01',
    });
    expect(next.charges.find((c: any) => c.serviceId === S.up!.serviceId)).toEqual({
      kind: 'change',
      serviceId: S.up!.serviceId,
      productId: demo.platform.pro,
      description: 'Change of package Starter → Pro',
      cycle: 'monthly',
      quantity: 1,
      periodStart: '2026-03-01',
      periodEnd: '2026-04-01',
      wholesalePrice: 237,
      wholesaleSetupFee: 0,
      change: {
        changedOn: '2026-03-11',
        unusedDays: 21,
        periodDays: 31,
        wholesaleFrom: 250,
        wholesaleTo: 600,
        creditNote: null,
      },
    });
    // never twice: a second run invoices nothing more
    expect(await run()).toMatchObject({ charged: 0, invoiced: 0 });
  });

  it('in JPY: the charge not invoiced yet and its upgrade, each on its line of the same invoice', async () => {
    const jpy = (await invoices(P.token)).find((i) => i.currency === 'JPY');
    expect(jpy.lines.map((l: any) => [l.description, l.amount])).toEqual([
      ['Starter (2026-03-01 – 2026-04-01)', 300],
      ['Change of package Starter → Pro, 21 of 31 days from 2026-03-11 (2026-03-01 – 2026-04-01)', 474],
    ]);
    expect(jpy.total).toBe(774);
  });

  it('credits a downgrade by a credit note against the invoice that charged the period, applied to it while unpaid', async () => {
    expect((await rowsOf(S.down!.serviceId)).map((r) => [r.kind, r.price, r.invoice_id])).toEqual([
      ['charge', '600', first.id],
      ['change', '-237', first.id],
    ]);
    const notes = await creditNotesOf(A.id);
    const theNote = notes.find((n) => n.amount === 237);
    expect(theNote).toMatchObject({ invoiceId: first.id, refundTo: 'credit', currency: 'EUR' });
    const charge = (await invoiceOf(first.id)).charges.find(
      (c: any) => c.serviceId === S.down!.serviceId && c.kind === 'change',
    );
    expect(charge).toMatchObject({
      wholesalePrice: -237,
      change: { wholesaleFrom: 600, wholesaleTo: 250, unusedDays: 21, creditNote: theNote.number },
    });
    // the same request retried (its Idempotency-Key) is answered again and credits nothing twice
    const again = await api.call('POST', `/v1/client-services/${S.down!.serviceId}/change-package`, {
      body: { productId: A.starter },
      token: S.down!.token,
      headers: { 'idempotency-key': `down-${S.down!.serviceId}` },
    });
    expect(again.status).toBe(201);
    expect(await rowsOf(S.down!.serviceId)).toHaveLength(2);
    expect((await creditNotesOf(A.id)).filter((n) => n.amount === 237)).toHaveLength(1);
  });

  it('credits a resold product changed for the reseller’s own: the old wholesale’s unused days', async () => {
    expect((await rowsOf(S.toOwn!.serviceId)).map((r) => [r.kind, r.price, r.invoice_id])).toEqual([
      ['charge', '250', first.id],
      ['change', '-169', first.id],
    ]);
    expect(
      (await creditNotesOf(A.id)).filter((n) => n.amount === 169 && n.invoiceId === first.id),
    ).toHaveLength(1);
  });

  it('credits the unused days of the upgraded wholesale when the service is cancelled later in the period', async () => {
    clock.set('2026-03-21');
    const cancelled = await api.post(
      `/v1/client-services/${S.cancel!.serviceId}/cancel`,
      { when: 'immediate', reason: 'moving away' },
      S.cancel!.token,
    );
    expect(cancelled.status).toBe(200);
    // Pro's 11 last days (213), not Starter's (89)
    expect((await rowsOf(S.cancel!.serviceId)).map((r) => [r.kind, r.price])).toEqual([
      ['charge', '250'],
      ['change', '237'],
      ['credit', '-213'],
    ]);
    // what the reseller paid for the service adds up to 10 days of Starter and 10 of Pro
    const paid = (await rowsOf(S.cancel!.serviceId)).reduce((sum, r) => sum + Number(r.price), 0);
    expect(paid).toBe(Math.round((250 * 10) / 31 + (600 * 10) / 31));
    // the three credit notes against the first invoice, which was unpaid: it was paid from them at once
    expect((await invoiceOf(first.id)).amountPaid).toBe(237 + 169 + 213);
  });

  it('nets a downgrade on its charge’s line when the charge was not invoiced yet', async () => {
    const inv = (await invoices(P.token)).find((i) =>
      i.charges.some((c: any) => c.serviceId === S.downPending!.serviceId),
    );
    const line = inv.lines.find((l: any) => l.description.startsWith('Pro (2026-03-01'));
    expect(line).toMatchObject({
      description:
        'Pro (2026-03-01 – 2026-04-01), less Change of package Pro → Starter, 21 of 31 days from 2026-03-11',
      unitPrice: 600 - 237,
      amount: 363,
    });
    expect(
      inv.charges
        .filter((c: any) => c.serviceId === S.downPending!.serviceId)
        .map((c: any) => [c.kind, c.wholesalePrice]),
    ).toEqual([
      ['charge', 600],
      ['change', -237],
    ]);
  });

  it('nets an upgrade on its charge’s line too when a cancellation’s credit would take that line below zero', async () => {
    // upgraded on 03-02 (30 unused days): 600 × 30 / 31 = 580.65 → 581 − 250 × 30 / 31 = 241.94 → 242: +339;
    // cancelled on 03-03 (29 unused days of Pro): 600 × 29 / 31 = 561.29 → 561, more than the charge's 250
    expect((await rowsOf(S.brief!.serviceId)).map((r) => [r.kind, r.price])).toEqual([
      ['charge', '250'],
      ['change', '339'],
      ['credit', '-561'],
    ]);
    const inv = (await invoices(P.token)).find((i) =>
      i.charges.some((c: any) => c.serviceId === S.brief!.serviceId),
    );
    const lines = inv.lines.filter((l: any) => l.description.includes('2026-03-02'));
    expect(lines).toEqual([
      expect.objectContaining({
        description:
          'Starter (2026-03-01 – 2026-04-01), less 29 unused days from 2026-03-03, ' +
          'plus Change of package Starter → Pro, 30 of 31 days from 2026-03-02',
        unitPrice: 250 + 339 - 561,
        amount: 28,
      }),
    ]);
  });

  it('charges the reseller’s own product changed for a resold one the new wholesale’s unused days only', async () => {
    // the period claimed at 0, and the change's 169 (Starter's 21 days) — not all of March's 250
    expect((await rowsOf(S.fromOwn!.serviceId)).map((r) => [r.kind, r.price])).toEqual([
      ['charge', '0'],
      ['change', '169'],
    ]);
    const inv = (await invoices(P.token)).find((i) =>
      i.charges.some((c: any) => c.serviceId === S.fromOwn!.serviceId),
    );
    expect(inv.lines.map((l: any) => l.description)).toContain(
      'Change of package Acme Site Care → Starter, 21 of 31 days from 2026-03-11 (2026-03-01 – 2026-04-01)',
    );
    expect(await chargeOnly('2026-03-21')).toMatchObject({ charged: 0 });
  });

  it('counts the changes in the reseller’s margin: what the platform billed it, its own only', async () => {
    const billed = async (r: Reseller) =>
      (await invoices(r.token))
        .filter((i) => i.currency === 'EUR')
        .flatMap((i) => i.charges)
        .reduce((t: number, c: any) => t + c.wholesalePrice, 0);
    const wholesale = async (r: Reseller) =>
      (await api.get('/v1/billing-reports/summary?from=2026-01-01&to=2027-01-01', r.token)).body.margin.find(
        (m: any) => m.currency === 'EUR',
      ).wholesale;
    // A: four periods (250 + 600 + 250 + 250), its changes (237 − 237 − 169 + 237) and the cancellation's −213
    expect(await billed(A)).toBe(1350 + 68 - 213);
    expect(await wholesale(A)).toBe(1350 + 68 - 213);
    // P: three periods (600, 250, and the own product's claimed at 0), its changes (−237 + 169 + 339) and a
    // cancellation's −561
    expect(await billed(P)).toBe(850 + 271 - 561);
    expect(await wholesale(P)).toBe(850 + 271 - 561);
  });

  it('shows none of it to another reseller, nor to the client', async () => {
    const theirs = await invoices(b.resellerToken);
    const ours = new Set(Object.values(S).map((s) => s.serviceId));
    expect(theirs.flatMap((i) => i.charges).some((c: any) => ours.has(c.serviceId))).toBe(false);
    expect(theirs.flatMap((i) => i.charges).some((c: any) => c.kind === 'change')).toBe(false);
    expect((await api.get(`/v1/wholesale/invoices/${first.id}`, b.resellerToken)).status).toBe(404);
    expect((await api.get(`/v1/wholesale/invoices/${first.id}`, P.token)).status).toBe(404);
    const ofP = (await invoices(P.token)).flatMap((i) => i.charges);
    expect(
      ofP.some((c: any) => [S.up, S.down, S.toOwn, S.cancel].some((x) => x!.serviceId === c.serviceId)),
    ).toBe(false);
    expect((await api.get('/v1/wholesale/invoices', S.up!.token)).status).toBe(403);
    // the client's view of its changes says nothing of the platform or its wholesale
    const changes = await api.get(`/v1/client-services/${S.up!.serviceId}/changes`, S.up!.token);
    expect(changes.status).toBe(200);
    expect(JSON.stringify(changes.body)).not.toMatch(/wholesale|platform/i);
    expect(JSON.stringify(changes.body)).not.toContain(demo.platform.pro);
    // the platform's staff see them
    expect((await api.get(`/v1/wholesale/invoices/${first.id}`, admin)).body.charges.length).toBeGreaterThan(
      4,
    );
  });

  it('records a change once per change: the same change again records nothing', async () => {
    const at: Record<string, string | undefined> = {};
    const rollback = new Error('rolled back');
    const attempt = h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), async (tx) => {
      const charge = (await chargeCovering(tx, S.up!.serviceId, '2026-03-21'))!;
      // the period's price since the upgrade: 250 + (600 − 250)
      expect(charge.price).toBe(600n);
      const row = {
        ...charge,
        serviceId: S.up!.serviceId,
        changeId: newId(),
        description: 'Change of package Starter → Pro',
        amount: 10n,
        retail: 0n,
        rateFrom: 250n,
        rateTo: 600n,
        changedOn: '2026-03-21',
        unusedDays: 11,
        periodDays: 31,
      };
      at.once = await insertChangeCharge(tx, row);
      at.twice = await insertChangeCharge(tx, row);
      // a second change of the same period is a row of its own
      at.other = await insertChangeCharge(tx, { ...row, changeId: newId() });
      throw rollback; // nothing of it stays
    });
    await expect(attempt).rejects.toBe(rollback);
    expect(at.once).toBeDefined();
    expect(at.twice).toBeUndefined();
    expect(at.other).toBeDefined();
  });
});
