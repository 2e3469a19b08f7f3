import { newId } from '@geminis/service-kit';
import { client, newClient, type Client, type Harness } from './support/billing';
import {
  activeService,
  jobsOf,
  openShop,
  renewalInvoices,
  startLifecycle,
  testClock,
} from './support/lifecycle';

/** A tenant's billing report: collected, credited, MRR and outstanding by age, its own rows only. */
describe('billing reports', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  const period = '?from=2000-01-01&to=2100-01-01';

  it('sums a reseller’s money per currency and ages what is still owed, never another tenant’s', async () => {
    const [a, b] = [await openShop(h), await openShop(h)];
    clock.set('2026-03-01');
    const s1 = await activeService(h, a); // paid 1499 (999 + 500 setup)
    await activeService(h, a); // paid 1499
    await activeService(h, b); // another tenant's money
    // an unpaid order invoice of A, due 2026-03-08
    const c = await newClient(h, a.tenantId);
    await api.post('/v1/orders', { items: [{ productId: a.productId, cycle: 'monthly' }] }, c.token);
    // A's renewals are issued on 03-18 (due 04-01); s1's is paid
    clock.set('2026-03-18');
    await jobsOf(h).renew();
    const renewal = (await renewalInvoices(h, a.tenantId)).find((r) => r.service_id === s1.serviceId)!;
    await api.post(`/v1/invoices/${renewal.id}/payments`, { amount: 999 }, a.resellerToken);
    const note = await api.post(
      `/v1/invoices/${s1.orderInvoiceId}/credit-notes`,
      { amount: 200, reason: 'goodwill' },
      a.resellerToken,
    );
    expect(note.status).toBe(201);
    clock.set('2026-04-20'); // the order invoice is 43 days late, the other renewal 19
    const res = await api.get(`/v1/billing-reports/summary${period}`, a.resellerToken);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tenantId: a.tenantId,
      from: '2000-01-01',
      to: '2100-01-01',
      asOf: '2026-04-20',
      currencies: [
        {
          currency: 'EUR',
          collected: 1499 + 1499 + 999,
          credited: 200,
          net: 1499 + 1499 + 999 - 200,
          mrr: 999 * 2, // two active monthly services (the third was never paid)
          outstanding: { current: 0, days1to30: 999, days31to60: 1499, days61to90: 0, over90: 0 },
        },
      ],
      margin: [], // it resells nothing of the platform's (wholesale.test.ts reports a margin)
    });
    const theirs = await api.get(`/v1/billing-reports/summary${period}`, b.resellerToken);
    expect(theirs.body.currencies).toEqual([
      expect.objectContaining({ collected: 1499, mrr: 999, credited: 0 }),
    ]);
    // an admin names the tenant it reports on
    const admin = h.issuer.tokenFor('admin', newId());
    const named = await api.get(`/v1/billing-reports/summary${period}&tenantId=${a.tenantId}`, admin);
    expect(named.body.currencies).toEqual(res.body.currencies);
    // a reseller naming another tenant still gets its own
    const narrowed = await api.get(
      `/v1/billing-reports/summary${period}&tenantId=${b.tenantId}`,
      a.resellerToken,
    );
    expect(narrowed.body.tenantId).toBe(a.tenantId);
  });

  it('is for staff only, and refuses a bad period naming the field', async () => {
    const shop = await openShop(h);
    const c = await newClient(h, shop.tenantId);
    expect((await api.get(`/v1/billing-reports/summary${period}`, c.token)).status).toBe(403);
    const reversed = await api.get(
      '/v1/billing-reports/summary?from=2026-05-01&to=2026-04-01',
      shop.resellerToken,
    );
    expect([reversed.status, reversed.body.errors?.[0]?.field]).toEqual([400, 'to']);
    const missing = await api.get('/v1/billing-reports/summary?to=2026-04-01', shop.resellerToken);
    expect([missing.status, missing.body.errors?.[0]?.field]).toEqual([400, 'from']);
  });
});
