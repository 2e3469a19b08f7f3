import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { startPleskStandIn, type PleskStandIn } from '../src/dev/plesk-stand-in';
import { seedProvisioningDemo } from '../src/service';
import { outboxEvents, provisionRequest, runJobsUntil } from './support/jobs';
import { startProvisioning, TEST_ENCRYPTION_KEY, type Harness } from './support/provisioning';

const PROVISION = 'billing.service.provision_requested.v1';

/**
 * Provision jobs on a reseller's Plesk server (the demo seed's, on the Plesk stand-in): an account whose
 * webspace add timed out but happened is adopted, and a webspace another customer holds is a conflict
 * staff see, never adopted.
 */
describe('provisioning jobs on a Plesk server', () => {
  let plesk: PleskStandIn;
  let h: Harness;
  const T = newId();
  const product = newId();

  const jobOf = (serviceId: string) =>
    h.db.withTenant(tenantScope(T), async (tx) => {
      const [job] = await rows<{ status: string; attempts: number; last_error: string | null }>(
        tx,
        sql`select status, attempts, last_error from jobs where service_id = ${serviceId}`,
      );
      return job;
    });
  const settled = (serviceId: string) => async () =>
    ['done', 'failed'].includes((await jobOf(serviceId))?.status ?? '');
  const request = (domain: string) =>
    provisionRequest({
      productId: product,
      module: 'plesk',
      moduleConfig: { servicePlan: 'Business' },
      domain,
    });

  beforeAll(async () => {
    plesk = await startPleskStandIn();
    h = await startProvisioning({
      config: {
        encryptionKey: TEST_ENCRYPTION_KEY,
        panelTimeouts: { defaultMs: 2_000, createMs: 300 },
        jobs: { maxAttempts: 5 },
      },
    });
    const address = { hostname: '127.0.0.1', port: plesk.port, tls: false };
    await seedProvisioningDemo(h.db, {
      encryptionKey: TEST_ENCRYPTION_KEY,
      panel: address,
      plesk: address,
      resellerTenantId: T,
      resellerPleskProductIds: [product],
    });
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await plesk.close();
  });

  it('adopts the webspace whose add timed out but happened, instead of adding it again', async () => {
    plesk.state.hangWebspaceAdds = 1;
    const req = request('slow-plesk.example');
    await h.deliver(PROVISION, T, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect(await jobOf(req.serviceId)).toMatchObject({ status: 'done', attempts: 2 });
    expect(plesk.calls['webspace.add']).toBe(1);
    const provisioned = (await outboxEvents(h, 'provisioning.service.provisioned.v1')).filter(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(provisioned).toHaveLength(1);
    const owner = plesk.customers.get(provisioned[0]!.data.username as string);
    expect(plesk.webspaces.get('slow-plesk.example')?.ownerId).toBe(owner?.id);
  });

  it("fails visibly, adopting nothing, when another customer holds the order's domain", async () => {
    plesk.customers.set('someone', {
      id: 9001,
      guid: newId(),
      login: 'someone',
      pname: 'Someone Else',
      email: 'someone@else.test',
      status: 0,
    });
    plesk.webspaces.set('taken-plesk.example', {
      id: 9002,
      guid: newId(),
      name: 'taken-plesk.example',
      ownerId: 9001,
      status: 0,
      planGuid: null,
    });
    const customers = plesk.customers.size;
    const req = request('taken-plesk.example');
    await h.deliver(PROVISION, T, req);
    await runJobsUntil(h, settled(req.serviceId));
    expect(await jobOf(req.serviceId)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: expect.stringContaining(
        'Plesk: the webspace taken-plesk.example belongs to another customer',
      ),
    });
    expect(plesk.webspaces.get('taken-plesk.example')?.ownerId).toBe(9001);
    expect(plesk.customers.size).toBe(customers);
    const failed = (await outboxEvents(h, 'provisioning.service.provision_failed.v1')).find(
      (e) => e.data.serviceId === req.serviceId,
    );
    expect(failed?.data).toMatchObject({ retryable: false });
  });
});
