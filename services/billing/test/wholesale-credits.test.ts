import { allTenants, newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { chargeBatch } from '../src/store/wholesale.store';
import {
  client,
  outboxEvents,
  PLATFORM_TENANT_ID,
  resellerProfile,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';
import { activeService, openShop, testClock } from './support/lifecycle';
import { resoldAt } from './support/wholesale';

/**
 * A resold service that ends early (cancelled now by its client, or terminated by staff) within a period the
 * platform charged its reseller: the reseller gets the unused days of that period's wholesale back, once —
 * by a credit note in the platform's series when the charge was invoiced, netted on the charge's line when
 * it was not. Nothing for a cancellation at the end of the period.
 */
describe('wholesale credits for resold services that end early', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let admin: string;
  let a: Shop;
  let b: Shop;
  const S: Record<string, Awaited<ReturnType<typeof activeService>>> = {};
  const run = () => h.billing.built.services.wholesale.run();
  const q = '?from=2026-01-01&to=2027-01-01';
  const invoices = async (token: string) =>
    (await api.get('/v1/wholesale/invoices', token)).body.items as any[];
  const charges = async (token: string) => (await invoices(token)).flatMap((i) => i.charges);
  const credits = () =>
    h.db.withTenant(tenantScope(PLATFORM_TENANT_ID), (tx) =>
      rows<{ service_id: string; price: string; invoice_id: string | null; credit_note_id: string | null }>(
        tx,
        sql`select service_id, price::text, invoice_id, credit_note_id from wholesale_charges where kind = 'credit'`,
      ),
    );

  beforeAll(async () => {
    h = await startBilling({ now: clock.now, lifecycleJobs: false });
    api = client(h.url);
    admin = h.issuer.tokenFor('admin', newId());
    [a, b] = [await openShop(h), await openShop(h)];
    for (const shop of [a, b])
      expect(
        await h.deliver('identity.reseller.created.v1', shop.tenantId, resellerProfile(shop.tenantId)),
      ).toBe('ack');
    clock.set('2026-03-01');
    for (const name of ['now', 'later', 'own']) {
      S[name] = await activeService(h, a);
      if (name !== 'own') await resoldAt(h, a, S[name].serviceId, 600);
    }
    S.b = await activeService(h, b);
    await resoldAt(h, b, S.b.serviceId, 700);
    // 03-01 – 04-01: A's two resold services on one invoice, B's on its own
    expect(await run()).toMatchObject({ charged: 3, invoiced: 2 });
  }, 120_000);
  afterAll(() => h.stop(), 30_000);

  it('credits the unused days when the client cancels now, by a credit note in the platform’s series, once', async () => {
    clock.set('2026-03-11');
    const [invoice] = await invoices(a.resellerToken);
    const cancel = () =>
      api.post(
        `/v1/client-services/${S.now!.serviceId}/cancel`,
        { when: 'immediate', reason: 'moving away' },
        S.now!.client.token,
      );
    expect((await cancel()).status).toBe(200);
    // 21 of 31 days unused: 600 × 21 / 31 = 406.45… → 406 (half-up, proration.ts)
    const [credit] = (await charges(a.resellerToken)).filter((c) => c.kind === 'credit');
    expect(credit).toMatchObject({
      serviceId: S.now!.serviceId,
      wholesalePrice: -406,
      wholesaleSetupFee: 0,
      periodStart: '2026-03-01',
      periodEnd: '2026-04-01',
      credit: {
        endedOn: '2026-03-11',
        unusedDays: 21,
        periodDays: 31,
        creditNote: expect.stringMatching(/^CN-/),
      },
    });
    // the credit note is against the wholesale invoice that charged the period, to the reseller's balance
    const notes = (await outboxEvents(h, PLATFORM_TENANT_ID, 'billing.credit_note.issued.v1')).filter(
      (n) => n.clientId === a.tenantId,
    );
    expect(notes).toEqual([
      expect.objectContaining({
        number: credit.credit.creditNote,
        invoiceId: invoice.id,
        amount: 406,
        refundTo: 'credit',
        currency: 'EUR',
      }),
    ]);
    // the invoice was still unpaid: the credit pays it at once (the reseller does not owe what it got back)
    const paid = (await invoices(a.resellerToken)).find((i) => i.id === invoice.id);
    expect(invoice.amountPaid).toBe(0);
    expect(paid).toMatchObject({ status: 'partially_paid', amountPaid: 406 });
    const balance = await api.get('/v1/wholesale/balance', a.resellerToken);
    expect(balance.body.balances).toEqual([{ currency: 'EUR', amount: 0 }]);
    // a second cancellation is refused, and nothing is credited twice
    expect((await cancel()).status).toBe(409);
    expect(await credits()).toHaveLength(1);
    expect((await invoices(a.resellerToken)).find((i) => i.id === invoice.id).amountPaid).toBe(406);
    expect((await api.get('/v1/wholesale/balance', a.resellerToken)).body.balances).toEqual([
      { currency: 'EUR', amount: 0 },
    ]);
  });

  it('shows the credit in the reseller’s margin, its own only', async () => {
    const mine = await api.get(`/v1/billing-reports/summary${q}`, a.resellerToken);
    // two 1499 orders and an own one (not resold: no charge) against 2 × 600 − 406
    expect(mine.body.margin).toEqual([
      { currency: 'EUR', retail: 2 * 1499, wholesale: 1200 - 406, margin: 2 * 1499 - 794 },
    ]);
    const theirs = await api.get(`/v1/billing-reports/summary${q}`, b.resellerToken);
    expect(theirs.body.margin).toEqual([{ currency: 'EUR', retail: 1499, wholesale: 700, margin: 799 }]);
    expect((await charges(b.resellerToken)).some((c) => c.kind === 'credit')).toBe(false);
    expect((await api.get('/v1/wholesale/balance', b.resellerToken)).body.balances).toEqual([]);
  });

  it('gives nothing for a cancellation at the end of the period, nor for the reseller’s own product', async () => {
    const end = await api.post(
      `/v1/client-services/${S.later!.serviceId}/cancel`,
      { when: 'end_of_period', reason: 'not needed' },
      S.later!.client.token,
    );
    expect(end.status).toBe(200);
    const own = await api.post(
      `/v1/client-services/${S.own!.serviceId}/cancel`,
      { when: 'immediate', reason: 'not needed' },
      S.own!.client.token,
    );
    expect(own.status).toBe(200);
    expect((await credits()).map((c) => c.service_id)).toEqual([S.now!.serviceId]);
  });

  it('nets the credit on the next consolidated invoice when staff terminate a service charged but not yet invoiced', async () => {
    const s = await activeService(h, a); // ordered 03-11: its period 03-11 – 04-11
    await resoldAt(h, a, s.serviceId, 600);
    // the run's first phase only: the period is charged, not yet invoiced
    await h.db.withTenant(allTenants, (tx) => chargeBatch(tx, allTenants, '2026-03-11', 100, null));
    clock.set('2026-03-21');
    const terminated = await api.post(
      `/v1/client-services/${s.serviceId}/terminate?tenantId=${a.tenantId}`,
      { reason: 'abuse' },
      admin,
    );
    expect(terminated.status).toBe(200);
    expect(await run()).toMatchObject({ charged: 0, invoiced: 1 });
    const next = (await invoices(a.resellerToken)).find((i) =>
      i.charges.some((c: any) => c.serviceId === s.serviceId),
    );
    // 21 of 31 days unused again: 600 − 406 on the charge's one line
    expect(next.total).toBe(194);
    expect(next.lines).toHaveLength(1);
    expect(next.lines[0].description).toContain('less 21 unused days from 2026-03-21');
    expect(next.charges.map((c: any) => [c.kind, c.wholesalePrice, c.credit?.creditNote ?? null])).toEqual([
      ['charge', 600, null],
      ['credit', -406, null],
    ]);
    // no credit note for it: the balance is still what the first credit left (it paid its invoice)
    expect((await api.get('/v1/wholesale/balance', a.resellerToken)).body.balances).toEqual([
      { currency: 'EUR', amount: 0 },
    ]);
    expect(await run()).toMatchObject({ charged: 0, invoiced: 0 });
  });

  it('leaves the credit on the reseller’s balance when the invoice it is against was paid', async () => {
    clock.set('2026-03-11');
    const [invoice] = await invoices(b.resellerToken);
    const pay = await api.post(`/v1/invoices/${invoice.id}/payments`, { amount: invoice.total }, admin);
    expect(pay.status).toBe(201);
    const cancelled = await api.post(
      `/v1/client-services/${S.b!.serviceId}/cancel`,
      { when: 'immediate', reason: 'moving away' },
      S.b!.client.token,
    );
    expect(cancelled.status).toBe(200);
    // 700 × 21 / 31 = 474.19… → 474, to the balance: the invoice was paid in full already
    expect((await api.get('/v1/wholesale/balance', b.resellerToken)).body.balances).toEqual([
      { currency: 'EUR', amount: 474 },
    ]);
    expect((await invoices(b.resellerToken)).find((i) => i.id === invoice.id)).toMatchObject({
      status: 'paid',
      amountPaid: invoice.total,
    });
  });
});
