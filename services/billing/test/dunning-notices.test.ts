import { eventRegistry } from '@geminis/contracts';
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

/** Reminders before and after the due date and the late fee, as events notifications turn into email. */
describe('dunning notices', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;

  beforeAll(async () => {
    h = await startLifecycle(clock, { lifecycleBatchSize: 2 });
    api = client(h.url);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  /** A shop with reminders 3 days before and 1 and 7 days after, a 5.00 EUR late fee after 3 days. */
  async function shopWithNotices(): Promise<Shop> {
    const shop = await openShop(h);
    const res = await api.patch(
      '/v1/billing-settings/lifecycle',
      {
        reminderDays: [-3, 1, 7],
        lateFee: { kind: 'fixed', amount: 500, currency: 'EUR', afterDays: 3 },
        suspendAfterDays: null,
      },
      shop.resellerToken,
    );
    expect(res.status).toBe(200);
    expect(res.body.reminderDays).toEqual([-3, 1, 7]);
    return shop;
  }

  const notices = async (shop: Shop) =>
    outboxInOrder(h, shop.tenantId, [
      'billing.invoice.reminder_due.v1',
      'billing.invoice.late_fee_applied.v1',
    ]);

  it('sends each reminder once on its day and the late fee once, in order, whatever the reruns', async () => {
    const shop = await shopWithNotices();
    const s = await activeService(h, shop); // due 2026-04-01
    clock.set('2026-03-18');
    await jobsOf(h).renew();
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    const days = [
      '2026-03-27',
      '2026-03-29',
      '2026-03-29',
      '2026-04-02',
      '2026-04-03',
      '2026-04-04',
      '2026-04-08',
    ];
    for (const day of days) {
      clock.set(day);
      await jobsOf(h).dun();
      await jobsOf(h).dun(); // a rerun the same day changes nothing
    }
    const sent = await notices(shop);
    expect(sent).toEqual([
      {
        type: 'billing.invoice.reminder_due.v1',
        data: {
          invoiceId: renewal!.id,
          number: renewal!.number,
          clientId: s.client.id,
          currency: 'EUR',
          balance: 999,
          dueDate: '2026-04-01',
          offsetDays: -3,
        },
      },
      {
        type: 'billing.invoice.reminder_due.v1',
        data: expect.objectContaining({ offsetDays: 1, balance: 999 }),
      },
      {
        type: 'billing.invoice.late_fee_applied.v1',
        data: {
          invoiceId: renewal!.id,
          number: renewal!.number,
          clientId: s.client.id,
          currency: 'EUR',
          fee: 500,
          total: 1499,
          dueDate: '2026-04-01',
        },
      },
      // the overdue reminder after the fee carries the new balance
      {
        type: 'billing.invoice.reminder_due.v1',
        data: expect.objectContaining({ offsetDays: 7, balance: 1499 }),
      },
    ]);
    for (const n of sent) expect(eventRegistry.get(n.type)!.schema.safeParse(n.data).success).toBe(true);
  });

  it('sends nothing for a paid invoice, and never a reminder weeks late', async () => {
    const shop = await shopWithNotices();
    await activeService(h, shop);
    clock.set('2026-03-18');
    await jobsOf(h).renew();
    const [renewal] = await renewalInvoices(h, shop.tenantId);
    clock.set('2026-05-01'); // the job did not run for a month: no stale reminder, only the late fee
    await jobsOf(h).dun();
    expect((await notices(shop)).map((n) => n.type)).toEqual(['billing.invoice.late_fee_applied.v1']);
    const paid = await api.post(`/v1/invoices/${renewal!.id}/payments`, { amount: 1499 }, shop.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    clock.set('2026-05-02');
    await jobsOf(h).dun();
    expect(await notices(shop)).toHaveLength(1);
  });

  it('refuses reminder days given twice, naming the field', async () => {
    const shop = await openShop(h);
    const res = await api.patch(
      '/v1/billing-settings/lifecycle',
      { reminderDays: [1, 1] },
      shop.resellerToken,
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'reminderDays' })]);
  });
});
