import { newId, rows } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { sql } from 'drizzle-orm';
import { startMailServer, type MailServer } from './support/mail-server';
import { startReceiver, type Receiver } from './support/receiver';
import { client, dept, startSupport, type Client, type Harness } from './support/support';

/** Support over a real RabbitMQ: billing's suspension request arrives from the broker, its events leave. */
describe('support over RabbitMQ', () => {
  let vhost: TestVhost;
  let h: Harness;
  let api: Client;
  let smtp: MailServer;
  let receiver: Receiver;

  beforeAll(async () => {
    vhost = await createTestVhost('gm_support');
    smtp = await startMailServer();
    receiver = await startReceiver();
    h = await startSupport(
      {
        mail: { smtpUrl: smtp.url, from: 'bounces@platform.example' },
        webhooks: { allowPrivate: true },
        // a brand source that is down: the mail must wait for it, never go out unbranded
        identityUrl: 'http://127.0.0.1:9',
      },
      { amqpUrl: vhost.url },
    );
    api = client(h.url);
  }, 90_000);
  afterAll(async () => {
    await h.stop();
    await vhost.drop();
    await smtp.stop();
    await receiver.close();
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
    // under an explicit all-tenants scope: the outbox is a tenant table too
    const [r] = await h.db.withTenant({ kind: 'all' }, (tx) =>
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

  it('turns a billing event from the broker into one queued mail and one signed webhook delivery', async () => {
    const A = newId();
    const clientId = newId();
    const publish = async (type: string, data: unknown, id = newId()) => {
      const envelope = {
        id,
        type,
        source: 'test',
        time: new Date().toISOString(),
        tenantId: A,
        correlationId: id,
        data,
      };
      await h.bus.publish({ id, routingKey: type, body: Buffer.from(JSON.stringify(envelope)) });
      return id;
    };
    const reseller = h.issuer.tokenFor('reseller', A);
    const hook = await api.post(
      '/v1/support/webhooks',
      { url: receiver.url('/rabbit'), eventTypes: ['billing.invoice.paid.v1'] },
      reseller,
    );
    expect(hook.status).toBe(201);
    await publish('identity.client.created.v1', {
      clientId,
      email: 'rabbit@clients.example',
      name: 'Rabbit',
      language: 'en',
      currency: 'EUR',
      via: 'reseller',
    });
    const paid = {
      invoiceId: newId(),
      number: 'R-1',
      clientId,
      currency: 'EUR',
      total: 100,
      paidAt: new Date().toISOString(),
    };
    const eventId = await publish('billing.invoice.paid.v1', paid);
    await publish('billing.invoice.paid.v1', paid, eventId); // redelivered by the broker
    const mails = async () =>
      (await api.get(`/v1/support/mail-log?clientId=${clientId}`, reseller)).body.items as {
        template: string;
      }[];
    await eventually('both mails are queued from the broker', async () => (await mails()).length === 2);
    expect((await mails()).map((m) => m.template).sort()).toEqual(['invoice_paid', 'welcome']);
    // identity (the brand) is down: nothing is sent, nothing is lost
    // (the invoice may be consumed before the client is known: it waits for the address as well)
    await h.running.built.mailer.drain();
    const after = (await api.get(`/v1/support/mail-log?clientId=${clientId}`, reseller)).body.items;
    expect(after.map((m: { status: string; attempts: number }) => [m.status, m.attempts])).toEqual([
      ['pending', 1],
      ['pending', 1],
    ]);
    expect(smtp.received).toHaveLength(0);
    await eventually('the webhook delivery is queued', async () => {
      const d = await api.get(`/v1/support/webhooks/${hook.body.endpoint.id}/deliveries`, reseller);
      return d.body.items.length === 1;
    });
    expect(await h.running.built.webhookDeliverer.drain()).toEqual({ delivered: 1, retry: 0, failed: 0 });
    expect(receiver.hits).toHaveLength(1);
    expect(JSON.parse(receiver.hits[0]!.raw)).toMatchObject({ id: eventId, type: 'billing.invoice.paid.v1' });
  });
});
