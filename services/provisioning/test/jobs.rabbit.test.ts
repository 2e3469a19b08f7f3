import { createRabbitBus, newId, type IncomingMessage } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import nock from 'nock';
import { provisionRequest, waitFor } from './support/jobs';
import { usePanelNock } from './support/nock';
import { client, cpanelServer, startProvisioning, type Harness } from './support/provisioning';
import { whmNock } from './support/whm-nock';

/** The whole path over a real RabbitMQ: billing's request in, the runner on its own, the result out. */
describe('provisioning over RabbitMQ', () => {
  let vhost: TestVhost;
  let h: Harness;
  const A = newId();
  const heard: { type: string; data: any }[] = [];
  usePanelNock();

  beforeAll(async () => {
    vhost = await createTestVhost('gm_provisioning');
    const bus = createRabbitBus({ url: vhost.url });
    h = await startProvisioning({ bus, config: { jobs: { autoStart: true, pollMs: 100 } } });
    // Billing's side: a consumer of provisioning's results.
    await bus.subscribe(
      { name: 'billing-test', bindings: ['provisioning.service.#'] },
      async (m: IncomingMessage) => {
        const envelope = JSON.parse(m.body.toString('utf8'));
        heard.push({ type: envelope.type, data: envelope.data });
        return 'ack';
      },
    );
    const reseller = h.issuer.tokenFor('reseller', A);
    const s = await client(h.url).post(
      '/v1/servers',
      cpanelServer('rabbit-1', {
        hostname: 'whm-r.test',
        credentials: { username: 'root', apiToken: 'TOKEN-R-123456' },
      }),
      reseller,
    );
    expect(s.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await h.stop();
    await vhost.drop();
  });

  it('turns a provision request published twice into one account and one provisioned event', async () => {
    const whm = whmNock('whm-r.test', 'TOKEN-R-123456');
    whm.listaccts('rabbit');
    const create = whm.createacct();
    const req = provisionRequest({ domain: 'rabbit.example' });
    const id = newId();
    const envelope = {
      id,
      type: 'billing.service.provision_requested.v1',
      source: 'billing',
      time: new Date().toISOString(),
      tenantId: A,
      correlationId: id,
      data: req,
    };
    const message = {
      id,
      routingKey: envelope.type,
      body: Buffer.from(JSON.stringify(envelope)),
    };
    await h.bus.publish(message);
    await h.bus.publish(message); // a redelivery, as an outbox relay may produce

    const provisioned = await waitFor(
      async () =>
        heard.find(
          (e) => e.type === 'provisioning.service.provisioned.v1' && e.data.serviceId === req.serviceId,
        ),
      'the provisioned event',
    );
    expect(provisioned.data).toMatchObject({ username: 'rabbit', host: 'whm-r.test', module: 'cpanel' });
    expect(create.isDone()).toBe(true);
    expect(nock.pendingMocks()).toEqual([]);
    const accounts = await client(h.url).get('/v1/provisioning/accounts', h.issuer.tokenFor('reseller', A));
    expect(accounts.body.items).toEqual([
      expect.objectContaining({ serviceId: req.serviceId, status: 'active' }),
    ]);
    expect(heard.filter((e) => e.data.serviceId === req.serviceId)).toHaveLength(1);
  });
});
