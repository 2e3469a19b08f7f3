import { newId } from '@geminis/service-kit';
import { provisionRequest, runJobsUntil } from './support/jobs';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';
import { startWhmStandIn, type WhmStandIn } from './support/whm-stand-in';

/** The scheduled state sync: bounded batches per server, drift recorded for staff, nothing changed. */
describe('account state sync', () => {
  let whm: WhmStandIn;
  let h: Harness;
  let api: Client;
  let reseller: string;
  const A = newId();
  const sync = () => h.running.built.services.stateSync.runBatch();
  const accounts = async (query = '') =>
    (await api.get(`/v1/provisioning/accounts${query}`, reseller)).body.items as any[];

  beforeAll(async () => {
    whm = await startWhmStandIn();
    h = await startProvisioning({ config: { sync: { perServer: 2 } } });
    api = client(h.url);
    reseller = h.issuer.tokenFor('reseller', A);
    await api.post(
      '/v1/servers',
      cpanelServer('sync-1', { hostname: '127.0.0.1', port: whm.port, tls: false }),
      reseller,
    );
    for (const d of ['drifta', 'driftb', 'driftc'])
      await h.deliver(
        'billing.service.provision_requested.v1',
        A,
        provisionRequest({ domain: `${d}.example` }),
      );
    await runJobsUntil(h, async () => (await accounts()).filter((a) => a.status === 'active').length === 3);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await whm.close();
  });

  it('compares a bounded batch per server per run, records drift, and changes nothing on the panel', async () => {
    whm.accounts.get('drifta')!.suspended = 1; // suspended on the panel, active here
    whm.accounts.delete('driftb'); // gone from the panel
    const before = { ...whm.calls };

    expect(await sync()).toEqual({ compared: 2, drifted: expect.any(Number) });
    expect((await accounts()).filter((a) => a.syncedAt !== null)).toHaveLength(2);
    expect(await sync()).toMatchObject({ compared: 2 });

    const drift = Object.fromEntries((await accounts()).map((a) => [a.username, a.drift]));
    expect(drift).toEqual({ drifta: 'suspended_on_panel', driftb: 'missing_on_panel', driftc: null });
    expect((await accounts('?drift=true')).map((a) => a.username).sort()).toEqual(['drifta', 'driftb']);
    expect((await accounts()).every((a) => a.status === 'active')).toBe(true);
    for (const fn of ['createacct', 'suspendacct', 'unsuspendacct', 'removeacct'])
      expect([fn, whm.calls[fn] ?? 0]).toEqual([fn, before[fn] ?? 0]);
  });

  it('skips a server whose panel is down, keeping its last comparison', async () => {
    const last = (await accounts()).map((a) => [a.username, a.syncedAt]).sort();
    whm.state.down = true;
    try {
      expect(await sync()).toEqual({ compared: 0, drifted: 0 });
    } finally {
      whm.state.down = false;
    }
    expect((await accounts()).map((a) => [a.username, a.syncedAt]).sort()).toEqual(last);
  });
});
