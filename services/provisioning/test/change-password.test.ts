import { newId } from '@geminis/service-kit';
import { provisionRequest, runJobsUntil } from './support/jobs';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';
import { startWhmStandIn, type WhmStandIn } from './support/whm-stand-in';

const PROVISION = 'billing.service.provision_requested.v1';

/**
 * A new panel password for an account: generated here, given to the panel by a job, then readable. Run with
 * both walls, and with row-level security opened so the stores' own tenant filter must hold alone.
 */
describe.each([
  ['both walls', false],
  ["the stores' filter alone", true],
])('change of panel password (%s)', (_walls, firstWallOnly) => {
  let whm: WhmStandIn;
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  let resellerA: string;

  beforeAll(async () => {
    whm = await startWhmStandIn();
    h = await startProvisioning({ firstWallOnly });
    api = client(h.url);
    resellerA = h.issuer.tokenFor('reseller', A);
    const s = await api.post(
      '/v1/servers',
      cpanelServer('pw-1', { hostname: '127.0.0.1', port: whm.port, tls: false }),
      resellerA,
    );
    expect(s.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await whm?.close();
  });

  const provision = async (domain: string) => {
    const req = provisionRequest({ domain });
    await h.deliver(PROVISION, A, req);
    const accountOf = async () =>
      ((await api.get('/v1/provisioning/accounts', resellerA)).body.items as any[]).find(
        (a) => a.serviceId === req.serviceId,
      );
    await runJobsUntil(h, async () => (await accountOf())?.status === 'active');
    return { req, account: await accountOf() };
  };
  const credentials = async (id: string, token: string) =>
    (await api.get(`/v1/provisioning/accounts/${id}/credentials`, token)).body as { password: string };
  const jobDone = (jobId: string) => async () =>
    (await api.get(`/v1/provisioning/jobs/${jobId}`, resellerA)).body.status === 'done';

  it('gives the client a new strong password on the panel, once, and the credentials answer it', async () => {
    const { req, account } = await provision('secret.example');
    const clientToken = h.issuer.tokenFor('client', A, req.client.clientId);
    const before = await credentials(account.id, clientToken);
    expect(whm.passwords.get('secret')).toBe(before.password);

    const res = await api.post(`/v1/provisioning/accounts/${account.id}/password`, {}, clientToken);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      action: 'change_password',
      status: 'pending',
      serviceId: req.serviceId,
    });
    expect(JSON.stringify(res.body)).not.toMatch(/sealed|"password"|"request"/i);
    const calls = whm.calls.passwd ?? 0;
    await runJobsUntil(h, jobDone(res.body.id));

    const after = await credentials(account.id, clientToken);
    expect(after.password).not.toBe(before.password);
    expect(after.password).toHaveLength(20);
    expect(whm.passwords.get('secret')).toBe(after.password);
    expect(whm.calls.passwd).toBe(calls + 1);
    // Staff may ask too; it is a job of the same service, armed again.
    const again = await api.post(`/v1/provisioning/accounts/${account.id}/password`, {}, resellerA);
    expect(again.status).toBe(202);
    await runJobsUntil(h, jobDone(again.body.id));
    expect((await credentials(account.id, clientToken)).password).not.toBe(after.password);
  });

  it('gives another tenant or another client the same 404 as a missing id, and changes nothing', async () => {
    const { req, account } = await provision('guarded.example');
    const before = whm.passwords.get('guarded');
    const missing = await api.post(`/v1/provisioning/accounts/${newId()}/password`, {}, resellerA);
    expect(missing.status).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    for (const token of [
      h.issuer.tokenFor('reseller', B),
      h.issuer.tokenFor('client', B, req.client.clientId),
      h.issuer.tokenFor('client', A, newId()),
    ]) {
      const res = await api.post(`/v1/provisioning/accounts/${account.id}/password`, {}, token);
      expect([res.status, strip(res.body)]).toEqual([404, strip(missing.body)]);
    }
    await h.running.built.services.runner.runDue();
    expect(whm.passwords.get('guarded')).toBe(before);
    const jobs = await api.get(`/v1/provisioning/jobs?serviceId=${req.serviceId}`, resellerA);
    expect((jobs.body.items as any[]).map((j) => j.action)).toEqual(['provision']);
  });

  it('refuses an account not created yet (409) and an id that is not one (404)', async () => {
    const req = provisionRequest({ domain: 'notyet.example' });
    await h.deliver(PROVISION, A, req);
    // Placed by an attempt that is not run: the account row exists only once the job runs, so use the panel
    // being down to leave it pending.
    whm.state.down = true;
    try {
      await h.running.built.services.runner.runDue();
    } finally {
      whm.state.down = false;
    }
    const pending = ((await api.get('/v1/provisioning/accounts', resellerA)).body.items as any[]).find(
      (a) => a.serviceId === req.serviceId,
    );
    expect(pending.status).toBe('pending');
    const res = await api.post(`/v1/provisioning/accounts/${pending.id}/password`, {}, resellerA);
    expect(res.status).toBe(409);
    expect((await api.post('/v1/provisioning/accounts/not-an-id/password', {}, resellerA)).status).toBe(404);
  });
});
