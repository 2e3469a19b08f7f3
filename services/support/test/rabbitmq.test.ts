import { newId, rows } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { sql } from 'drizzle-orm';
import { client, dept, startSupport, type Client, type Harness } from './support/support';

/** Support over a real RabbitMQ: billing's suspension request arrives from the broker, its events leave. */
describe('support over RabbitMQ', () => {
  let vhost: TestVhost;
  let h: Harness;
  let api: Client;

  beforeAll(async () => {
    vhost = await createTestVhost('gm_support');
    h = await startSupport({}, { amqpUrl: vhost.url });
    api = client(h.url);
  }, 90_000);
  afterAll(async () => {
    await h.stop();
    await vhost.drop();
  });

  /** Waits (bounded) for a condition the bus makes true. */
  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }

  const published = async (type: string) => {
    const [r] = await h.db.transaction((tx) =>
      rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from outbox where type = ${type} and published_at is not null`,
      ),
    );
    return r!.n;
  };

  it('opens the suspension notice from a message on the broker, once, and publishes its events', async () => {
    const A = newId();
    const clientId = newId();
    const id = newId();
    const envelope = {
      id,
      type: 'billing.service.suspend_requested.v1',
      source: 'billing',
      time: new Date().toISOString(),
      tenantId: A,
      correlationId: id,
      data: { serviceId: newId(), clientId, module: 'cpanel', reason: 'overdue' },
    };
    const body = Buffer.from(JSON.stringify(envelope));
    await h.bus.publish({ id, routingKey: envelope.type, body });
    await h.bus.publish({ id, routingKey: envelope.type, body }); // a duplicate delivery
    const token = h.issuer.tokenFor('client', A, clientId);
    await eventually('support applies the suspension request', async () => {
      return (await api.get('/v1/support/tickets', token)).body.items.length > 0;
    });
    await eventually('the opened event is confirmed by the broker', async () => {
      return (await published('support.ticket.opened.v1')) >= 1;
    });
    // a later message for another client: once it is applied, the duplicate before it was consumed too
    const marker = newId();
    const markerClient = newId();
    const later = {
      ...envelope,
      id: marker,
      correlationId: marker,
      data: { ...envelope.data, clientId: markerClient },
    };
    await h.bus.publish({ id: marker, routingKey: envelope.type, body: Buffer.from(JSON.stringify(later)) });
    await eventually('the later message is applied', async () => {
      const res = await api.get('/v1/support/tickets', h.issuer.tokenFor('client', A, markerClient));
      return res.body.items.length === 1;
    });
    expect((await api.get('/v1/support/tickets', token)).body.items).toHaveLength(1);

    const reseller = h.issuer.tokenFor('reseller', A);
    const d = await api.post('/v1/support/departments', dept('Help'), reseller);
    const opened = await api.post(
      '/v1/support/tickets',
      { departmentId: d.body.id, subject: 'Hi', message: 'there' },
      token,
    );
    await api.post(`/v1/support/tickets/${opened.body.ticket.id}/replies`, { message: 'ok' }, reseller);
    await eventually('the reply event is confirmed by the broker', async () => {
      return (await published('support.ticket.replied.v1')) === 1;
    });
  });
});
