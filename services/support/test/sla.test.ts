import { createScheduler, newId } from '@geminis/service-kit';
import { supportJobs } from '../src/service';
import { client, dept, startSupport, type Client, type Harness } from './support/support';

const MIN = 60_000;
const DAY = 24 * 60 * MIN;

/** First-response breaches and auto-close, on a clock the test moves (no waiting, no timing). */
describe('support SLA and auto-close jobs', () => {
  let h: Harness;
  let api: Client;
  const T0 = new Date('2026-12-01T09:00:00.000Z');
  let clock = T0;
  const at = (ms: number) => new Date(T0.getTime() + ms);
  const A = newId();
  const B = newId();
  let reseller: string;
  let customer: string;
  let fast: string;
  let untimed: string;

  const open = async (departmentId: string, token = customer) => {
    const res = await api.post(
      '/v1/support/tickets',
      { departmentId, subject: 'Help', message: 'please' },
      token,
    );
    expect(res.status).toBe(201);
    return res.body.ticket.id as string;
  };
  const ticket = async (id: string) => (await api.get(`/v1/support/tickets/${id}`, reseller)).body.ticket;
  const sla = () => h.running.built.services.sla;

  beforeAll(async () => {
    h = await startSupport({ now: () => clock, autoCloseDays: 3 });
    api = client(h.url);
    reseller = h.issuer.tokenFor('reseller', A);
    customer = h.issuer.tokenFor('client', A);
    const d1 = await api.post(
      '/v1/support/departments',
      dept('Fast', { firstResponseMinutes: 30 }),
      reseller,
    );
    const d2 = await api.post('/v1/support/departments', dept('Untimed'), reseller);
    fast = d1.body.id;
    untimed = d2.body.id;
  }, 60_000);
  afterAll(() => h.stop());

  describe('first-response breaches', () => {
    let late: string;
    let answered: string;
    let closed: string;
    let noTarget: string;
    let otherTenant: string;

    beforeAll(async () => {
      clock = T0;
      late = await open(fast);
      answered = await open(fast);
      closed = await open(fast);
      noTarget = await open(untimed);
      const bReseller = h.issuer.tokenFor('reseller', B);
      const bDept = await api.post(
        '/v1/support/departments',
        dept('B Fast', { firstResponseMinutes: 30 }),
        bReseller,
      );
      otherTenant = await open(bDept.body.id, h.issuer.tokenFor('client', B));
      clock = at(10 * MIN);
      await api.post(`/v1/support/tickets/${answered}/replies`, { message: 'on it' }, reseller);
      await api.post(`/v1/support/tickets/${closed}/close`, undefined, customer);
    });

    it('marks nothing before the deadline', async () => {
      expect(await sla().markBreaches(at(29 * MIN))).toBe(0);
      expect((await ticket(late)).slaBreachedAt).toBeNull();
    });

    it('marks every tenant’s unanswered open tickets past the deadline, once', async () => {
      expect(await sla().markBreaches(at(31 * MIN))).toBe(2);
      expect((await ticket(late)).slaBreachedAt).toBe(at(31 * MIN).toISOString());
      const b = await api.get(`/v1/support/tickets/${otherTenant}`, h.issuer.tokenFor('reseller', B));
      expect(b.body.ticket.slaBreachedAt).toBe(at(31 * MIN).toISOString());
      for (const id of [answered, closed, noTarget]) expect((await ticket(id)).slaBreachedAt).toBeNull();
    });

    it('changes nothing when run again', async () => {
      expect(await sla().markBreaches(at(45 * MIN))).toBe(0);
      expect((await ticket(late)).slaBreachedAt).toBe(at(31 * MIN).toISOString());
    });

    it('lists breached tickets with ?breached=true', async () => {
      const res = await api.get('/v1/support/tickets?breached=true', reseller);
      expect(res.body.items.map((x: { id: string }) => x.id)).toEqual([late]);
      const ok = await api.get('/v1/support/tickets?breached=false', reseller);
      expect(ok.body.items.map((x: { id: string }) => x.id)).not.toContain(late);
    });
  });

  describe('auto-close', () => {
    let waiting: string;
    let clientReplied: string;
    let onHold: string;

    beforeAll(async () => {
      clock = at(DAY);
      waiting = await open(untimed);
      clientReplied = await open(untimed);
      onHold = await open(untimed);
      clock = at(DAY + MIN);
      for (const id of [waiting, clientReplied, onHold])
        await api.post(`/v1/support/tickets/${id}/replies`, { message: 'try this' }, reseller);
      await api.patch(`/v1/support/tickets/${onHold}`, { status: 'on_hold' }, reseller);
      clock = at(DAY + 2 * MIN);
      await api.post(`/v1/support/tickets/${clientReplied}/replies`, { message: 'did not work' }, customer);
    });

    it('leaves a ticket awaiting the client alone before N days', async () => {
      await sla().autoClose(at(4 * DAY));
      expect((await ticket(waiting)).status).toBe('answered');
    });

    it('closes tickets awaiting the client for N days, and only those', async () => {
      const closed = await sla().autoClose(at(4 * DAY + MIN));
      expect((await ticket(waiting)).status).toBe('closed');
      expect((await ticket(waiting)).closedAt).toBe(at(4 * DAY + MIN).toISOString());
      expect((await ticket(clientReplied)).status).toBe('customer_reply');
      expect((await ticket(onHold)).status).toBe('on_hold');
      expect(closed).toBeGreaterThanOrEqual(1);
      expect(await sla().autoClose(at(4 * DAY + 2 * MIN))).toBe(0);
    });
  });

  it('runs each job once per period across replicas (the kit scheduler)', async () => {
    const scheduler = createScheduler({ db: h.db, now: () => at(10 * DAY) });
    const [breaches] = supportJobs(h.running.built.services);
    expect(await scheduler.tick(breaches!)).toBe('ran');
    expect(await scheduler.tick(breaches!)).toBe('skipped');
  });
});
