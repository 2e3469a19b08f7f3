import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import { lifecycleRequest, outboxEvents, provisionRequest, runJobsUntil } from './support/jobs';
import { usePanelNock } from './support/nock';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
} from './support/provisioning';
import { whmNock } from './support/whm-nock';

const PROVISION = 'billing.service.provision_requested.v1';
const SUSPEND = 'billing.service.suspend_requested.v1';
const UNSUSPEND = 'billing.service.unsuspend_requested.v1';
const TERMINATE = 'billing.service.terminate_requested.v1';

/** billing's requests → durable jobs → WHM (replayed by nock) → accounts and result events in the outbox. */
describe('provisioning jobs', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const whm = whmNock('whm-a.test', 'TOKEN-A-123456');
  let admin: string;
  let resellerA: string;
  usePanelNock();

  beforeAll(async () => {
    h = await startProvisioning();
    api = client(h.url);
    admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    resellerA = h.issuer.tokenFor('reseller', A);
    const s = await api.post(
      '/v1/servers',
      cpanelServer('a-1', {
        hostname: 'whm-a.test',
        credentials: { username: 'root', apiToken: 'TOKEN-A-123456' },
      }),
      resellerA,
    );
    expect(s.status).toBe(201);
  }, 60_000);
  afterAll(() => h?.stop());

  const jobsOf = async (serviceId: string) =>
    (await api.get(`/v1/provisioning/jobs?serviceId=${serviceId}`, resellerA)).body.items as any[];
  const accountOf = async (serviceId: string) =>
    h.db.withTenant(tenantScope(A), async (tx) =>
      rows<{ id: string; username: string; status: string; password: string | null }>(
        tx,
        sql`select id, username, status, password from accounts where service_id = ${serviceId}`,
      ),
    );
  const settled = (serviceId: string) => async () =>
    (await jobsOf(serviceId)).every((j) => j.status === 'done' || j.status === 'failed');

  it('records a job from provision_requested without calling any panel in the consumer', async () => {
    const req = provisionRequest({ domain: 'first.example' });
    // nock refuses every panel call here: a handler that called WHM would fail and be retried, not acked.
    expect(await h.deliver(PROVISION, A, req)).toBe('ack');
    expect(await jobsOf(req.serviceId)).toEqual([
      expect.objectContaining({
        action: 'provision',
        status: 'pending',
        attempts: 0,
        clientId: req.client.clientId,
      }),
    ]);
    expect(nock.pendingMocks()).toEqual([]);
    whm.listaccts('first');
    whm.createacct();
    await runJobsUntil(h, settled(req.serviceId));
  });

  it('creates the account once, with a generated password kept sealed and out of the event', async () => {
    const req = provisionRequest({ domain: 'ada-example.com' });
    let sent: Record<string, string> = {};
    const look = whm.listaccts('adaexamp');
    const create = whm.createacct((b) => (sent = b));
    const requestId = newId();
    expect(await h.deliver(PROVISION, A, req, requestId)).toBe('ack');
    await runJobsUntil(h, settled(req.serviceId));

    expect(look.isDone() && create.isDone()).toBe(true);
    expect(sent).toMatchObject({
      username: 'adaexamp',
      domain: 'ada-example.com',
      plan: 'starter',
      reseller: '0',
    });
    expect(sent.password).toMatch(/^.{20}$/);
    const [job] = await jobsOf(req.serviceId);
    expect(job).toMatchObject({ status: 'done', attempts: 1, lastError: null });
    const [account] = await accountOf(req.serviceId);
    expect(account).toMatchObject({ username: 'adaexamp', status: 'active' });
    expect(account!.password).toMatch(/^v1\./);
    expect(account!.password).not.toContain(sent.password);

    const events = (await outboxEvents(h, 'provisioning.service.provisioned.v1')).filter(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      tenantId: A,
      causationId: requestId,
      correlationId: requestId,
      data: {
        serviceId: req.serviceId,
        clientId: req.client.clientId,
        module: 'cpanel',
        username: 'adaexamp',
        host: 'whm-a.test',
      },
    });
    expect(JSON.stringify(await outboxEvents(h))).not.toContain(sent.password);

    const clientToken = h.issuer.tokenFor('client', A, req.client.clientId);
    const creds = await api.get(`/v1/provisioning/accounts/${account!.id}/credentials`, clientToken);
    expect(creds.status).toBe(200);
    expect(creds.body).toEqual({ username: 'adaexamp', password: sent.password, host: 'whm-a.test' });
    expect(creds.headers.get('cache-control')).toBe('no-store');
  });

  it('applies a redelivered request once, and adopts the existing account when billing asks again', async () => {
    const req = provisionRequest({ domain: 'twice.example' });
    const eventId = newId();
    whm.listaccts('twice');
    whm.createacct();
    expect(await h.deliver(PROVISION, A, req, eventId)).toBe('ack');
    expect(await h.deliver(PROVISION, A, req, eventId)).toBe('ack');
    expect(await jobsOf(req.serviceId)).toHaveLength(1);
    await runJobsUntil(h, settled(req.serviceId));
    expect(nock.pendingMocks()).toEqual([]);

    // A new request for an account we already hold active: answered again, without touching the panel
    // (nock has no interceptor left: any WHM call would fail the job).
    expect(await h.deliver(PROVISION, A, req)).toBe('ack');
    await runJobsUntil(h, settled(req.serviceId));
    expect((await jobsOf(req.serviceId))[0]).toMatchObject({ status: 'done', attempts: 1 });
    expect(await accountOf(req.serviceId)).toHaveLength(1);
    const events = (await outboxEvents(h, 'provisioning.service.provisioned.v1')).filter(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(events).toHaveLength(2);
  });

  it('adopts an account WHM refused to create because it already existed with our domain', async () => {
    const req = provisionRequest({ domain: 'racer.example' });
    whm.listaccts('racer');
    whm.createFails('Sorry, a group for that username already exists.');
    whm.listaccts('racer', { domain: 'racer.example' });
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect((await jobsOf(req.serviceId))[0].status).toBe('done');
    expect((await accountOf(req.serviceId))[0]).toMatchObject({ username: 'racer', status: 'active' });
  });

  it("takes the next user name when the panel holds the first for someone else's domain", async () => {
    const req = provisionRequest({ domain: 'shared-name.example' });
    let sent: Record<string, string> = {};
    whm.listaccts('sharedna', { domain: 'somebody-else.example' });
    whm.listaccts('sharedn1');
    whm.createacct((b) => (sent = b));
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect(sent.username).toBe('sharedn1');
    expect((await accountOf(req.serviceId))[0]).toMatchObject({ username: 'sharedn1', status: 'active' });
  });

  it('fails at once, visibly, when WHM refuses the package, and lets staff retry', async () => {
    const req = provisionRequest({
      domain: 'nopkg.example',
      moduleConfig: { package: 'gold', reseller: false },
    });
    whm.listaccts('nopkg');
    whm.createFails('Sorry, "gold" is not a valid pacakge name');
    whm.listaccts('nopkg');
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    const [job] = await jobsOf(req.serviceId);
    expect(job).toMatchObject({
      status: 'failed',
      attempts: 1,
      lastError: expect.stringContaining('not a valid pacakge'),
    });
    const failed = (await outboxEvents(h, 'provisioning.service.provision_failed.v1')).find(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(failed?.data).toMatchObject({ retryable: false, error: expect.stringContaining('gold') });

    const retry = await api.post(`/v1/provisioning/jobs/${job.id}/retry`, {}, resellerA);
    expect(retry.status).toBe(202);
    expect(retry.body).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await api.post(`/v1/provisioning/jobs/${job.id}/retry`, {}, resellerA)).status).toBe(409);
    whm.listaccts('nopkg');
    whm.createacct();
    await runJobsUntil(h, settled(req.serviceId));
    expect((await jobsOf(req.serviceId))[0].status).toBe('done');
  });

  it('suspends, skips a suspend already done on the panel, unsuspends and terminates', async () => {
    const req = provisionRequest({ domain: 'cycle.example' });
    whm.listaccts('cycle');
    whm.createacct();
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    const life = lifecycleRequest(req.serviceId, req.client.clientId);

    whm.listaccts('cycle', { domain: 'cycle.example', suspended: 0 });
    const suspend = whm.call('suspendacct', { user: 'cycle', reason: 'overdue' });
    await h.deliver(SUSPEND, A, life);
    await runJobsUntil(h, settled(req.serviceId));
    expect(suspend.isDone()).toBe(true);
    expect((await accountOf(req.serviceId))[0]!.status).toBe('suspended');

    // Asked again: WHM already shows it suspended, so no second suspendacct (nock would refuse it).
    whm.listaccts('cycle', { domain: 'cycle.example', suspended: 1 });
    await h.deliver(SUSPEND, A, life);
    await runJobsUntil(h, settled(req.serviceId));
    expect((await jobsOf(req.serviceId)).find((j) => j.action === 'suspend').status).toBe('done');

    whm.listaccts('cycle', { domain: 'cycle.example', suspended: 1 });
    const unsuspend = whm.call('unsuspendacct', { user: 'cycle' });
    await h.deliver(UNSUSPEND, A, life);
    await runJobsUntil(h, settled(req.serviceId));
    expect(unsuspend.isDone()).toBe(true);
    expect((await accountOf(req.serviceId))[0]!.status).toBe('active');

    whm.listaccts('cycle', { domain: 'cycle.example' });
    const remove = whm.call('removeacct', { username: 'cycle', keepdns: '0' });
    await h.deliver(TERMINATE, A, life);
    await runJobsUntil(h, settled(req.serviceId));
    expect(remove.isDone()).toBe(true);
    expect((await accountOf(req.serviceId))[0]!.status).toBe('terminated');

    const types = (await outboxEvents(h))
      .filter((e) => e.data.serviceId === req.serviceId)
      .map((e) => e.type.replace('provisioning.service.', ''));
    expect(types).toEqual([
      'provisioned.v1',
      'suspended.v1',
      'suspended.v1',
      'unsuspended.v1',
      'terminated.v1',
    ]);
  });

  it('runs a suspend requested before an unsuspend first, whatever order they are claimed in', async () => {
    const req = provisionRequest({ domain: 'order.example' });
    whm.listaccts('order');
    whm.createacct();
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    const life = lifecycleRequest(req.serviceId, req.client.clientId);
    await h.deliver(SUSPEND, A, life);
    await h.deliver(UNSUSPEND, A, life);
    whm.listaccts('order', { domain: 'order.example', suspended: 0 });
    whm.call('suspendacct', { user: 'order', reason: 'overdue' });
    whm.listaccts('order', { domain: 'order.example', suspended: 1 });
    whm.call('unsuspendacct', { user: 'order' });
    await runJobsUntil(h, settled(req.serviceId));
    expect(nock.pendingMocks()).toEqual([]);
    expect((await accountOf(req.serviceId))[0]!.status).toBe('active');
  });

  it('provisions a module "none" product at once, without a panel', async () => {
    const req = provisionRequest({
      module: 'none',
      moduleConfig: {},
      domain: undefined,
      productType: 'other',
    });
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect((await accountOf(req.serviceId))[0]).toMatchObject({ status: 'active', username: null });
    const ev = (await outboxEvents(h, 'provisioning.service.provisioned.v1')).find(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(ev?.data).toEqual({ serviceId: req.serviceId, clientId: req.client.clientId, module: 'none' });
  });

  it('fails visibly (retryable for staff) when no server of the module has room', async () => {
    const req = provisionRequest({
      module: 'plesk',
      moduleConfig: { servicePlan: 'Business', reseller: false },
    });
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect((await jobsOf(req.serviceId))[0]).toMatchObject({
      status: 'failed',
      lastError: 'no enabled plesk server with room for this product',
    });
    const ev = (await outboxEvents(h, 'provisioning.service.provision_failed.v1')).find(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(ev?.data.retryable).toBe(true);
    expect(await accountOf(req.serviceId)).toEqual([]);
    expect(
      (await api.get(`/v1/provisioning/jobs?serviceId=${req.serviceId}`, admin)).body.items,
    ).toHaveLength(1);
  });
});
