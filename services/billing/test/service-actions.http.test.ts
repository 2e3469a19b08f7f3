import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { client, countRows, type Client, type Harness, type Shop } from './support/billing';
import {
  activeService,
  jobsOf,
  openShop,
  outboxInOrder,
  renewalInvoices,
  startLifecycle,
  testClock,
} from './support/lifecycle';

const REQUESTS = [
  'billing.service.suspend_requested.v1',
  'billing.service.unsuspend_requested.v1',
  'billing.service.terminate_requested.v1',
];

/** Staff suspend, unsuspend and terminate; clients cancel: reasons recorded, provisioning asked. */
describe('client service actions', () => {
  const clock = testClock();
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startLifecycle(clock);
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);
  beforeEach(() => clock.set('2026-03-01'));

  const act = (id: string, action: string, body: object, token = shop.resellerToken) =>
    api.post(`/v1/client-services/${id}/${action}`, body, token);
  const requests = async (serviceId: string) =>
    (await outboxInOrder(h, shop.tenantId, REQUESTS)).filter((e) => e.data.serviceId === serviceId);

  it('lets staff suspend, unsuspend and terminate with a reason, asking provisioning each time', async () => {
    const s = await activeService(h, shop);
    const suspended = await act(s.serviceId, 'suspend', { reason: 'abuse report #7' });
    expect(suspended.status).toBe(200);
    expect(suspended.body).toMatchObject({
      status: 'suspended',
      suspendReason: 'staff',
      suspendNote: 'abuse report #7',
      suspendedOn: '2026-03-01',
      pendingAction: 'suspend',
    });
    const unsuspended = await act(s.serviceId, 'unsuspend', { reason: 'resolved' });
    expect(unsuspended.body).toMatchObject({
      status: 'active',
      suspendReason: null,
      pendingAction: 'unsuspend',
    });
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    const terminated = await act(s.serviceId + `/terminate?tenantId=${shop.tenantId}`, '', {}, admin);
    expect(terminated.status).toBe(400); // a reason is required
    const gone = await api.post(
      `/v1/client-services/${s.serviceId}/terminate?tenantId=${shop.tenantId}`,
      { reason: 'fraud' },
      admin,
    );
    expect(gone.body).toMatchObject({ status: 'terminated', pendingAction: 'terminate' });
    const base = { serviceId: s.serviceId, clientId: s.client.id, module: 'cpanel' };
    expect(await requests(s.serviceId)).toEqual([
      { type: 'billing.service.suspend_requested.v1', data: { ...base, reason: 'abuse report #7' } },
      { type: 'billing.service.unsuspend_requested.v1', data: { ...base, reason: 'resolved' } },
      { type: 'billing.service.terminate_requested.v1', data: { ...base, reason: 'fraud' } },
    ]);
  });

  it('refuses an action the status does not allow (409), writing nothing', async () => {
    const s = await activeService(h, shop);
    const before = await countRows(h, 'client_services', shop.tenantId);
    const res = await act(s.serviceId, 'unsuspend', { reason: 'x' });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('billing.service_state_conflict');
    expect(await requests(s.serviceId)).toEqual([]);
    expect((await s.service()).status).toBe('active');
    expect(await countRows(h, 'client_services', shop.tenantId)).toBe(before);
  });

  it('lets only staff suspend, unsuspend or terminate (a client gets 403)', async () => {
    const s = await activeService(h, shop);
    for (const action of ['suspend', 'unsuspend', 'terminate'])
      expect((await act(s.serviceId, action, { reason: 'x' }, s.client.token)).status).toBe(403);
    expect((await s.service()).status).toBe('active');
  });

  describe('refuses bad input naming the field (400 problem+json), writing nothing', () => {
    it.each([
      ['suspend', 'no reason', {}, 'reason'],
      ['suspend', 'an empty reason', { reason: '' }, 'reason'],
      ['suspend', 'a reason over 500 characters', { reason: 'x'.repeat(501) }, 'reason'],
      ['terminate', 'an unknown field', { reason: 'x', extra: 1 }, '(root)'],
      ['cancel', 'no when', { reason: 'x' }, 'when'],
      ['cancel', 'an unknown when', { when: 'tomorrow', reason: 'x' }, 'when'],
      ['cancel', 'no reason', { when: 'immediate' }, 'reason'],
      ['dunning-exemption', 'no exempt', { reason: 'x' }, 'exempt'],
      ['extend-due-date', 'zero days', { days: 0, reason: 'x' }, 'days'],
      ['extend-due-date', 'more than 90 days', { days: 91, reason: 'x' }, 'days'],
    ])('%s with %s', async (action, _what, body, field) => {
      const s = await activeService(h, shop);
      const res = await act(s.serviceId, action, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await s.service()).toMatchObject({ status: 'active' });
      expect(await requests(s.serviceId)).toEqual([]);
    });

    it.each([
      [{ renewalLeadDays: -1 }, 'renewalLeadDays'],
      [{ suspendAfterDays: 1.5 }, 'suspendAfterDays'],
      [{ terminateAfterDays: 0 }, 'terminateAfterDays'],
      [{ renewalLeadDays: '3' }, 'renewalLeadDays'],
      [{ lateFee: { kind: 'percent', bps: 0, afterDays: 1 } }, 'lateFee.bps'],
      [{ lateFee: { kind: 'fixed', amount: 100, afterDays: 1 } }, 'lateFee.currency'],
    ])('lifecycle settings %j', async (body, field) => {
      const before = (await api.get('/v1/billing-settings/lifecycle', shop.resellerToken)).body;
      const res = await api.patch('/v1/billing-settings/lifecycle', body, shop.resellerToken);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect((await api.get('/v1/billing-settings/lifecycle', shop.resellerToken)).body).toEqual(before);
    });
  });

  it('cancels at the end of the period: no renewal, then cancelled on the due date', async () => {
    const s = await activeService(h, shop);
    const res = await act(
      s.serviceId,
      'cancel',
      { when: 'end_of_period', reason: 'moving away' },
      s.client.token,
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'active',
      cancelAt: 'end_of_period',
      cancelReason: 'moving away',
    });
    expect(
      (await act(s.serviceId, 'cancel', { when: 'end_of_period', reason: 'again' }, s.client.token)).status,
    ).toBe(409);
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    expect((await renewalInvoices(h, shop.tenantId)).filter((i) => i.service_id === s.serviceId)).toEqual([]);
    clock.set('2026-03-31');
    await jobsOf(h).dun();
    expect((await s.service()).status).toBe('active');
    clock.set('2026-04-01');
    await jobsOf(h).dun();
    await jobsOf(h).dun();
    expect((await s.service()).status).toBe('cancelled');
    const [terminate, ...more] = await requests(s.serviceId);
    expect(more).toEqual([]);
    expect(terminate).toMatchObject({
      type: 'billing.service.terminate_requested.v1',
      data: { reason: expect.stringContaining('moving away') },
    });
    // provisioning's confirmation ends it
    await h.deliver('provisioning.service.terminated.v1', shop.tenantId, {
      serviceId: s.serviceId,
      clientId: s.client.id,
      module: 'cpanel',
    });
    expect(
      (await api.get(`/v1/client-services/${s.serviceId}/lifecycle`, s.client.token)).body,
    ).toMatchObject({
      status: 'terminated',
      pendingAction: null,
    });
  });

  it('cancels now: cancelled, its unpaid renewal cancelled, removal requested', async () => {
    const s = await activeService(h, shop);
    clock.set('2026-03-25');
    await jobsOf(h).renew();
    const [renewal] = (await renewalInvoices(h, shop.tenantId)).filter((i) => i.service_id === s.serviceId);
    expect(renewal!.status).toBe('unpaid');
    const res = await act(s.serviceId, 'cancel', { when: 'immediate', reason: 'not needed' }, s.client.token);
    expect(res.body).toMatchObject({
      status: 'cancelled',
      cancelAt: 'immediate',
      pendingAction: 'terminate',
    });
    expect((await api.get(`/v1/invoices/${renewal!.id}`, s.client.token)).body.status).toBe('cancelled');
    expect((await requests(s.serviceId)).map((e) => e.type)).toEqual([
      'billing.service.terminate_requested.v1',
    ]);
  });
});
