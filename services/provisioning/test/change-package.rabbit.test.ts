import { createRabbitBus, newId, rows } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import { changeRequest, seedAccount, whmChange } from './support/change-package';
import { waitFor } from './support/jobs';
import { usePanelNock } from './support/nock';
import { client, cpanelServer, startProvisioning, type Harness } from './support/provisioning';

const CHANGE = 'billing.service.change_package_requested.v1';

/** A change of package over a real RabbitMQ: published twice, sent again under a new id, applied once. */
describe('change of package over RabbitMQ', () => {
  let vhost: TestVhost;
  let h: Harness;
  const A = newId();
  let serverId: string;
  usePanelNock();

  beforeAll(async () => {
    vhost = await createTestVhost('gm_provisioning');
    h = await startProvisioning({ bus: createRabbitBus({ url: vhost.url }) });
    const s = await client(h.url).post(
      '/v1/servers',
      cpanelServer('rabbit-c', {
        hostname: 'whm-rc.test',
        credentials: { username: 'root', apiToken: 'TOKEN-RC-123456' },
      }),
      h.issuer.tokenFor('reseller', A),
    );
    expect(s.status).toBe(201);
    serverId = s.body.id;
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await vhost?.drop();
  }, 60_000);

  const message = (data: unknown, id = newId()) => ({
    id,
    routingKey: CHANGE,
    body: Buffer.from(
      JSON.stringify({
        id,
        type: CHANGE,
        source: 'billing',
        time: new Date().toISOString(),
        tenantId: A,
        correlationId: id,
        data,
      }),
    ),
  });

  it('calls changepackage once whatever the redeliveries', async () => {
    const account = await seedAccount(h, A, {
      serverId,
      module: 'cpanel',
      username: 'rabbitch',
      domain: 'rabbit-change.com',
      package: 'starter',
    });
    const req = changeRequest(account.serviceId, account.clientId, 'cpanel', { package: 'business' });
    const first = message(req);
    const again = message(req); // billing's outbox sending the same change under a new event id
    await h.bus.publish(first);
    await h.bus.publish(first); // a redelivery
    await h.bus.publish(again);
    // Every copy is through the consumer (the inbox holds both event ids) before the runner starts.
    await waitFor(
      async () =>
        (
          await h.db.transaction((tx) =>
            rows<{ n: number }>(
              tx,
              sql`select count(*)::int as n from inbox where event_id in (${first.id}, ${again.id})`,
            ),
          )
        )[0]!.n === 2,
      'both events in the inbox',
    );
    const whm = whmChange('whm-rc.test', 'TOKEN-RC-123456');
    whm.listaccts('rabbitch', 'rabbit-change.com', 'starter');
    const change = whm.changepackage('rabbitch', 'business');
    await h.running.built.services.runner.start();
    const reseller = h.issuer.tokenFor('reseller', A);
    const jobs = await waitFor(async () => {
      const items = (await client(h.url).get(`/v1/provisioning/jobs?serviceId=${req.serviceId}`, reseller))
        .body.items as any[];
      return items.every((j) => j.status === 'done') && items.length > 0 && items;
    }, 'the change job');
    expect(jobs).toEqual([expect.objectContaining({ action: 'change_package', attempts: 1 })]);
    expect(change.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
  });
});
