import { tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
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

const LIFECYCLE = [
  'billing.invoice.issued.v1',
  'billing.invoice.paid.v1',
  'billing.service.suspend_requested.v1',
  'billing.service.unsuspend_requested.v1',
  'billing.service.terminate_requested.v1',
];

/** Dunning on a fake clock: overdue → suspended → paid → unsuspended; termination; each step once. */
describe('dunning', () => {
  const clock = testClock();
  let h: Harness;
  let api: Client;

  beforeAll(async () => {
    h = await startLifecycle(clock, { lifecycleBatchSize: 2 });
    api = client(h.url);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  /** A shop suspending after 3 days overdue and terminating after 10 days suspended. */
  async function shopWithDunning(settings: object = { suspendAfterDays: 3, terminateAfterDays: 10 }) {
    const shop = await openShop(h);
    const res = await api.patch('/v1/billing-settings/lifecycle', settings, shop.resellerToken);
    expect(res.status).toBe(200);
    return shop;
  }

  /** An active service with its renewal invoice issued (due 2026-04-01). */
  async function renewed(shop: Shop) {
    const s = await activeService(h, shop);
    clock.set('2026-03-20');
    await jobsOf(h).renew();
    const renewal = (await renewalInvoices(h, shop.tenantId)).find((i) => i.service_id === s.serviceId)!;
    expect(renewal.due_date).toBe('2026-04-01');
    const lifecycle = async () =>
      (await api.get(`/v1/client-services/${s.serviceId}/lifecycle`, shop.resellerToken)).body;
    const result = (type: string) =>
      h.deliver(`provisioning.service.${type}.v1`, shop.tenantId, {
        serviceId: s.serviceId,
        clientId: s.client.id,
        module: 'cpanel',
      });
    return { ...s, renewal, lifecycle, result };
  }

  it('suspends after N days overdue, and payment unsuspends: the events in order, each once', async () => {
    const shop = await shopWithDunning();
    const s = await renewed(shop);
    clock.set('2026-04-03'); // 2 days overdue
    await jobsOf(h).dun();
    expect((await s.lifecycle()).status).toBe('active');

    clock.set('2026-04-04'); // 3 days overdue
    await jobsOf(h).dun();
    expect(await s.lifecycle()).toMatchObject({
      status: 'suspended',
      suspendReason: 'overdue',
      suspendedOn: '2026-04-04',
      pendingAction: 'suspend',
      pendingSince: expect.any(String),
    });
    await jobsOf(h).dun(); // again: nothing more
    expect(await s.result('suspended')).toBe('ack'); // provisioning confirms
    expect(await s.lifecycle()).toMatchObject({
      status: 'suspended',
      pendingAction: null,
      pendingSince: null,
    });

    clock.set('2026-04-06');
    const paid = await api.post(`/v1/invoices/${s.renewal.id}/payments`, { amount: 999 }, shop.resellerToken);
    expect(paid.body.invoice.status).toBe('paid');
    expect(await s.lifecycle()).toMatchObject({
      status: 'active',
      suspendReason: null,
      pendingAction: 'unsuspend',
      nextDueDate: '2026-05-01',
    });
    expect(await s.result('unsuspended')).toBe('ack');
    expect((await s.lifecycle()).pendingAction).toBeNull();
    await jobsOf(h).dun();

    const events = await outboxInOrder(h, shop.tenantId, LIFECYCLE);
    const base = { serviceId: s.serviceId, clientId: s.client.id, module: 'cpanel' };
    expect(events.slice(2)).toEqual([
      {
        type: 'billing.invoice.issued.v1',
        data: expect.objectContaining({ invoiceId: s.renewal.id, reason: 'renewal' }),
      },
      {
        type: 'billing.service.suspend_requested.v1',
        data: { ...base, reason: `invoice ${s.renewal.number} overdue` },
      },
      { type: 'billing.invoice.paid.v1', data: expect.objectContaining({ invoiceId: s.renewal.id }) },
      {
        type: 'billing.service.unsuspend_requested.v1',
        data: { ...base, reason: `invoice ${s.renewal.number} paid` },
      },
    ]);
  });

  it('keeps a service suspended by staff suspended when its invoice is paid', async () => {
    const shop = await shopWithDunning();
    const s = await renewed(shop);
    const suspended = await api.post(
      `/v1/client-services/${s.serviceId}/suspend`,
      { reason: 'abuse report #42' },
      shop.resellerToken,
    );
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({
      status: 'suspended',
      suspendReason: 'staff',
      suspendNote: 'abuse report #42',
    });
    clock.set('2026-04-10');
    await jobsOf(h).dun(); // overdue, but already suspended by staff: no second request
    await api.post(`/v1/invoices/${s.renewal.id}/payments`, { amount: 999 }, shop.resellerToken);
    expect(await s.lifecycle()).toMatchObject({ status: 'suspended', suspendReason: 'staff' });
    const types = (await outboxInOrder(h, shop.tenantId, LIFECYCLE)).map((e) => e.type);
    expect(types.filter((t) => t === 'billing.service.suspend_requested.v1')).toHaveLength(1);
    expect(types).not.toContain('billing.service.unsuspend_requested.v1');
  });

  it('terminates after M days suspended for non-payment, once', async () => {
    const shop = await shopWithDunning();
    const s = await renewed(shop);
    clock.set('2026-04-04');
    await jobsOf(h).dun();
    clock.set('2026-04-13'); // suspended 9 days
    await jobsOf(h).dun();
    expect((await s.lifecycle()).status).toBe('suspended');
    clock.set('2026-04-14');
    await jobsOf(h).dun();
    await jobsOf(h).dun();
    expect(await s.lifecycle()).toMatchObject({ status: 'terminated', pendingAction: 'terminate' });
    expect(await s.result('terminated')).toBe('ack');
    expect((await s.lifecycle()).pendingAction).toBeNull();
    const terminate = await outboxInOrder(h, shop.tenantId, ['billing.service.terminate_requested.v1']);
    expect(terminate).toHaveLength(1);
    expect(terminate[0]!.data.reason).toContain(s.renewal.number);
  });

  it('never suspends twice for one invoice: a suspension staff lifted stays lifted', async () => {
    const shop = await shopWithDunning();
    const s = await renewed(shop);
    clock.set('2026-04-05');
    await jobsOf(h).dun();
    const lifted = await api.post(
      `/v1/client-services/${s.serviceId}/unsuspend`,
      { reason: 'promised to pay on Friday' },
      shop.resellerToken,
    );
    expect(lifted.body).toMatchObject({ status: 'active', pendingAction: 'unsuspend' });
    clock.set('2026-04-08');
    await jobsOf(h).dun();
    expect((await s.lifecycle()).status).toBe('active');
    const types = (await outboxInOrder(h, shop.tenantId, LIFECYCLE)).map((e) => e.type);
    expect(types.filter((t) => t === 'billing.service.suspend_requested.v1')).toHaveLength(1);
  });

  it('lifts a suspension for non-payment once nothing is overdue any more (the invoice cancelled by staff)', async () => {
    const shop = await shopWithDunning();
    const s = await renewed(shop);
    clock.set('2026-04-05');
    await jobsOf(h).dun();
    expect((await s.lifecycle()).status).toBe('suspended');
    await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      tx.execute(sql`update invoices set status = 'cancelled' where id = ${s.renewal.id}`),
    );
    await jobsOf(h).dun();
    await jobsOf(h).dun();
    expect(await s.lifecycle()).toMatchObject({ status: 'active', pendingAction: 'unsuspend' });
    const unsuspend = await outboxInOrder(h, shop.tenantId, ['billing.service.unsuspend_requested.v1']);
    expect(unsuspend.map((e) => e.data)).toEqual([
      { serviceId: s.serviceId, clientId: s.client.id, module: 'cpanel', reason: 'nothing overdue any more' },
    ]);
  });

  it('adds a percentage late fee once, rounded half-up, and none in a currency a fixed fee is not in', async () => {
    const shop = await shopWithDunning({
      suspendAfterDays: null,
      lateFee: { kind: 'percent', bps: 1050, afterDays: 2 },
    });
    const s = await renewed(shop);
    clock.set('2026-04-02');
    await jobsOf(h).dun();
    const invoice = async () => (await api.get(`/v1/invoices/${s.renewal.id}`, shop.resellerToken)).body;
    expect((await invoice()).total).toBe(999);
    clock.set('2026-04-03');
    await jobsOf(h).dun();
    clock.set('2026-04-20');
    await jobsOf(h).dun();
    const fined = await invoice();
    // 10.5% of 999 is 104.895 → 105
    expect(fined).toMatchObject({ subtotal: 999 + 105, total: 999 + 105, balance: 999 + 105 });
    expect(
      fined.lines.map((l: { description: string; amount: number }) => [l.description, l.amount]),
    ).toEqual([
      [expect.stringContaining('Starter'), 999],
      ['Late fee', 105],
    ]);

    const usd = await shopWithDunning({
      suspendAfterDays: null,
      lateFee: { kind: 'fixed', amount: 500, currency: 'USD', afterDays: 0 },
    });
    expect((await api.get('/v1/billing-settings/lifecycle', usd.resellerToken)).body.lateFee).toEqual({
      kind: 'fixed',
      amount: 500,
      currency: 'USD',
      afterDays: 0,
    });
    clock.set('2026-03-01');
    const e = await renewed(usd);
    clock.set('2026-04-10');
    await jobsOf(h).dun();
    expect((await api.get(`/v1/invoices/${e.renewal.id}`, usd.resellerToken)).body.total).toBe(999);

    const eur = await shopWithDunning({
      suspendAfterDays: null,
      lateFee: { kind: 'fixed', amount: 250, currency: 'EUR', afterDays: 0 },
    });
    clock.set('2026-03-01');
    const f = await renewed(eur);
    clock.set('2026-04-01');
    await jobsOf(h).dun();
    await jobsOf(h).dun();
    expect((await api.get(`/v1/invoices/${f.renewal.id}`, eur.resellerToken)).body.total).toBe(999 + 250);
  });

  it('suspends on the due date itself with zero days of grace, and a rerun that day keeps it suspended', async () => {
    const shop = await shopWithDunning({ suspendAfterDays: 0 });
    const s = await renewed(shop);
    clock.set('2026-04-01');
    await jobsOf(h).dun();
    await jobsOf(h).dun();
    expect(await s.lifecycle()).toMatchObject({ status: 'suspended', suspendReason: 'overdue' });
    expect(await outboxInOrder(h, shop.tenantId, ['billing.service.unsuspend_requested.v1'])).toEqual([]);
  });

  it('honours staff overrides: an exempt service is never suspended, an extension moves the deadline', async () => {
    const shop = await shopWithDunning();
    const exempt = await renewed(shop);
    clock.set('2026-03-01');
    const extended = await renewed(shop);
    const ex = await api.post(
      `/v1/client-services/${exempt.serviceId}/dunning-exemption`,
      { exempt: true, reason: 'key account' },
      shop.resellerToken,
    );
    expect(ex.body).toMatchObject({ dunningExempt: true, dunningExemptReason: 'key account' });
    const more = await api.post(
      `/v1/client-services/${extended.serviceId}/extend-due-date`,
      { days: 7, reason: 'bank holiday' },
      shop.resellerToken,
    );
    expect(more.status).toBe(200);
    expect((await api.get(`/v1/invoices/${extended.renewal.id}`, shop.resellerToken)).body.dueDate).toBe(
      '2026-04-08',
    );
    clock.set('2026-04-10'); // 9 days after the first due date, 2 after the extended one
    await jobsOf(h).dun();
    expect((await exempt.lifecycle()).status).toBe('active');
    expect((await extended.lifecycle()).status).toBe('active');
    clock.set('2026-04-11');
    await jobsOf(h).dun();
    expect((await extended.lifecycle()).status).toBe('suspended');
    expect((await exempt.lifecycle()).status).toBe('active');
    // nothing outstanding any more: nothing to extend
    await api.post(`/v1/invoices/${exempt.renewal.id}/payments`, { amount: 999 }, shop.resellerToken);
    const none = await api.post(
      `/v1/client-services/${exempt.serviceId}/extend-due-date`,
      { days: 7, reason: 'x' },
      shop.resellerToken,
    );
    expect(none.status).toBe(409);
  });

  it('lets staff waive a late fee: once what was paid covers the rest, the invoice is paid and the service back', async () => {
    const shop = await shopWithDunning({
      suspendAfterDays: 3,
      lateFee: { kind: 'fixed', amount: 500, currency: 'EUR', afterDays: 1 },
    });
    const s = await renewed(shop);
    clock.set('2026-04-04');
    await jobsOf(h).dun();
    expect((await s.lifecycle()).status).toBe('suspended');
    const partly = await api.post(
      `/v1/invoices/${s.renewal.id}/payments`,
      { amount: 999 },
      shop.resellerToken,
    );
    expect(partly.body.invoice).toMatchObject({ status: 'partially_paid', balance: 500 });
    expect((await s.lifecycle()).status).toBe('suspended');
    const waived = await api.post(`/v1/invoices/${s.renewal.id}/waive-late-fee`, {}, shop.resellerToken);
    expect(waived.status).toBe(200);
    expect(waived.body).toMatchObject({ status: 'paid', total: 999, balance: 0 });
    expect(waived.body.lines).toHaveLength(1);
    expect(await s.lifecycle()).toMatchObject({
      status: 'active',
      pendingAction: 'unsuspend',
      nextDueDate: '2026-05-01',
    });
    expect(
      (await api.post(`/v1/invoices/${s.renewal.id}/waive-late-fee`, {}, shop.resellerToken)).status,
    ).toBe(409);
    expect((await api.post(`/v1/invoices/${s.renewal.id}/waive-late-fee`, {}, s.client.token)).status).toBe(
      403,
    );
  });

  it('never suspends when the tenant turned suspension off', async () => {
    const shop = await shopWithDunning({ suspendAfterDays: null });
    const s = await renewed(shop);
    clock.set('2026-06-01');
    await jobsOf(h).dun();
    expect((await s.lifecycle()).status).toBe('active');
  });

  it('suspends every overdue service once with two runs at once and more services than a batch', async () => {
    const shop = await shopWithDunning();
    const services = [];
    for (let i = 0; i < 5; i += 1) services.push(await activeService(h, shop));
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    clock.set('2026-04-04');
    await Promise.all([jobsOf(h).dun(), jobsOf(h).dun()]);
    await jobsOf(h).dun();
    for (const s of services) expect((await s.service()).status).toBe('suspended');
    const requested = await outboxInOrder(h, shop.tenantId, ['billing.service.suspend_requested.v1']);
    expect(requested.map((e) => e.data.serviceId).sort()).toEqual(services.map((s) => s.serviceId).sort());
  });
});
