import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { seedAccount } from './support/change-package';
import { provisionRequest, runJobsUntil } from './support/jobs';
import { usePanelNock } from './support/nock';
import { pleskCustomer, pleskPlan, pleskWebspace } from './support/panel-fixtures';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';

jest.setTimeout(30_000);

const PROVISION = 'billing.service.provision_requested.v1';
const AGENT = '/enterprise/control/agent.php';
const KEY = 'PLESKKEY-PLAN-123456';
const BUSINESS = '5c1b6a4e-6f3a-4b6e-9a6e-1f1b2c3d4e5f';
const LEGACY = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

const op =
  (...fragments: string[]) =>
  (body: string) =>
    fragments.every((f) => body.includes(f));

/**
 * The service plan of a Plesk subscription compared with the product's, as WHM's and DirectAdmin's package
 * is: when an existing subscription is adopted and by the state sync; another plan is drift for staff.
 */
describe("Plesk: the subscription's service plan against the product's", () => {
  let h: Harness;
  let api: Client;
  let reseller: string;
  const A = newId();
  const servers: Record<string, string> = {};
  usePanelNock();

  beforeAll(async () => {
    h = await startProvisioning();
    api = client(h.url);
    reseller = h.issuer.tokenFor('reseller', A);
    await addServer('plesk-adopt');
  }, 60_000);
  afterAll(() => h?.stop(), 30_000);

  /** A Plesk server of A's (the only one while the adoption tests run, so new accounts go there). */
  const addServer = async (name: string) => {
    const s = await api.post(
      '/v1/servers',
      {
        ...cpanelServer(name),
        module: 'plesk',
        hostname: `${name}.test`,
        port: 8443,
        ipAddress: '192.0.2.30',
        credentials: { secretKey: KEY },
      },
      reseller,
    );
    expect(s.status).toBe(201);
    servers[name] = s.body.id;
  };
  const plesk = (name: string) =>
    nock(`https://${name}.test:8443`, { reqheaders: { KEY, 'content-type': 'text/xml' } });
  /** The adapter's lookup: the customer, its webspace with the subscription's plan, the plan's name. */
  const lookup = (name: string, login: string, domain: string, plan: { name: string; guid: string }) =>
    plesk(name)
      .post(AGENT, op('<customer><get>', `<login>${login}</login>`))
      .reply(200, pleskCustomer(login, 'ada@example.com'))
      .post(AGENT, op('<webspace><get>', `<name>${domain}</name>`, '<subscriptions/>'))
      .reply(200, pleskWebspace(domain, 0, plan.guid))
      .post(AGENT, op('<service-plan><get>', `<guid>${plan.guid}</guid>`))
      .reply(200, pleskPlan(plan.name, plan.guid));
  const account = async (serviceId: string) => {
    const res = await api.get(`/v1/provisioning/accounts`, reseller);
    return (res.body.items as any[]).find((a) => a.serviceId === serviceId);
  };
  const settled = (serviceId: string) => async () => (await account(serviceId))?.status === 'active';
  const pleskRequest = (domain: string) =>
    provisionRequest({ domain, module: 'plesk', moduleConfig: { servicePlan: 'Business' } });

  it('adopts an existing subscription on another plan, creates nothing, and records the drift', async () => {
    const req = pleskRequest('legacy.example');
    const scope = lookup('plesk-adopt', 'legacy', 'legacy.example', { name: 'Legacy', guid: LEGACY });
    await h.deliver(PROVISION, A, req);
    // No <customer><add> or <webspace><add> interceptor: a create would fail the attempt.
    await runJobsUntil(h, settled(req.serviceId));
    expect(scope.isDone()).toBe(true);
    expect(await account(req.serviceId)).toMatchObject({
      status: 'active',
      username: 'legacy',
      drift: 'other_package_on_panel',
      syncedAt: expect.any(String),
    });
    const drifted = await api.get('/v1/provisioning/accounts?drift=true', reseller);
    expect((drifted.body.items as any[]).map((a) => a.serviceId)).toContain(req.serviceId);
  });

  it('adopts one on the product’s plan with no drift', async () => {
    const req = pleskRequest('inline.example');
    const scope = lookup('plesk-adopt', 'inline', 'inline.example', { name: 'Business', guid: BUSINESS });
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect(scope.isDone()).toBe(true);
    expect(await account(req.serviceId)).toMatchObject({
      status: 'active',
      drift: null,
      syncedAt: expect.any(String),
    });
  });

  it('the state sync records a subscription moved to another plan on the panel, and clears it once back', async () => {
    await addServer('plesk-sync');
    const seeded = await seedAccount(h, A, {
      serverId: servers['plesk-sync']!,
      module: 'plesk',
      username: 'moved',
      domain: 'moved.example',
      package: 'Business',
    });
    const sync = () => h.running.built.services.stateSync.runBatch();
    const drift = async () => (await account(seeded.serviceId))?.drift as string | null;

    let scope = lookup('plesk-sync', 'moved', 'moved.example', { name: 'Legacy', guid: LEGACY });
    await sync(); // plesk-adopt's accounts have no interceptor: that server is skipped, this one compared
    expect(scope.isDone()).toBe(true);
    expect(await drift()).toBe('other_package_on_panel');

    scope = lookup('plesk-sync', 'moved', 'moved.example', { name: 'Business', guid: BUSINESS });
    await sync();
    expect(scope.isDone()).toBe(true);
    expect(await drift()).toBeNull();
  });
});
