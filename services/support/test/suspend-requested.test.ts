import { newId } from '@geminis/service-kit';
import {
  client,
  countRows,
  outboxEvents,
  PLATFORM_TENANT_ID,
  startSupport,
  type Client,
  type Harness,
} from './support/support';

/** billing.service.suspend_requested.v1 → a system ticket telling the client, once per event. */
describe('support on billing.service.suspend_requested.v1', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  const clientA = newId();
  const serviceId = newId();
  const suspend = (clientId = clientA) => ({
    serviceId,
    clientId,
    module: 'cpanel',
    reason: 'staff: INV-2026-000042 unpaid',
  });

  beforeAll(async () => {
    h = await startSupport();
    api = client(h.url);
  }, 60_000);
  afterAll(() => h.stop());

  it('opens a system ticket for the client in its tenant, visible to it and its reseller only', async () => {
    const eventId = newId();
    expect(await h.deliver('billing.service.suspend_requested.v1', A, suspend(), eventId)).toBe('ack');
    const mine = await api.get('/v1/support/tickets', h.issuer.tokenFor('client', A, clientA));
    expect(mine.body.items).toHaveLength(1);
    const ticket = mine.body.items[0];
    expect(ticket).toMatchObject({
      openedBy: 'system',
      status: 'answered',
      priority: 'high',
      relatedServiceId: serviceId,
      departmentId: null,
      tenantId: A,
    });
    const detail = await api.get(`/v1/support/tickets/${ticket.id}`, h.issuer.tokenFor('client', A, clientA));
    expect(detail.body.messages).toEqual([
      expect.objectContaining({ author: 'system', authorId: null, internal: false }),
    ]);
    expect(detail.body.messages[0].body).toMatch(/suspended/);
    // billing's reason is for staff: an internal note the client never sees
    expect(JSON.stringify(detail.body)).not.toContain('INV-2026-000042');
    const staff = await api.get(`/v1/support/tickets/${ticket.id}`, h.issuer.tokenFor('reseller', A));
    expect(staff.body.messages).toEqual([
      expect.objectContaining({ author: 'system', internal: false }),
      expect.objectContaining({
        author: 'system',
        internal: true,
        body: expect.stringMatching(/INV-2026-000042/),
      }),
    ]);
    expect(ids(await api.get('/v1/support/tickets', h.issuer.tokenFor('reseller', A)))).toContain(ticket.id);
    expect(ids(await api.get('/v1/support/tickets', h.issuer.tokenFor('reseller', B)))).toEqual([]);
    expect(ids(await api.get('/v1/support/tickets', h.issuer.tokenFor('client', A)))).toEqual([]);
    const opened = await outboxEvents(h, A, 'support.ticket.opened.v1');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      causationId: eventId,
      correlationId: eventId,
      data: { ticketId: ticket.id, clientId: clientA, openedBy: 'system', departmentId: null },
    });
  });

  it('applies a redelivered event once', async () => {
    const eventId = newId();
    const before = [await countRows(h, 'tickets'), await countRows(h, 'ticket_messages')];
    expect(await h.deliver('billing.service.suspend_requested.v1', A, suspend(), eventId)).toBe('ack');
    expect(await h.deliver('billing.service.suspend_requested.v1', A, suspend(), eventId)).toBe('ack');
    expect([await countRows(h, 'tickets'), await countRows(h, 'ticket_messages')]).toEqual([
      before[0]! + 1,
      before[1]! + 2,
    ]);
  });

  it('opens one ticket per event even when the handler itself runs twice (keyed by the event id)', async () => {
    const handler = h.running.built.handlers!['billing.service.suspend_requested.v1']!;
    const id = newId();
    const envelope = {
      id,
      type: 'billing.service.suspend_requested.v1',
      source: 'billing',
      time: new Date().toISOString(),
      tenantId: B,
      correlationId: id,
      data: suspend(newId()),
    };
    for (let i = 0; i < 2; i += 1)
      await h.db.withTenant({ kind: 'tenant', tenantId: B }, (tx) => handler(tx, envelope));
    expect(ids(await api.get('/v1/support/tickets', h.issuer.tokenFor('reseller', B)))).toHaveLength(1);
    expect(await outboxEvents(h, B, 'support.ticket.opened.v1')).toHaveLength(1);
  });

  it('lets the client answer the notice like any ticket', async () => {
    const token = h.issuer.tokenFor('client', A, clientA);
    const [first] = (await api.get('/v1/support/tickets', token)).body.items;
    const res = await api.post(`/v1/support/tickets/${first.id}/replies`, { message: 'I paid' }, token);
    expect(res.status).toBe(201);
    expect(res.body.ticket.status).toBe('customer_reply');
  });

  it('dead-letters an invalid event and writes nothing', async () => {
    const before = await countRows(h, 'tickets');
    const outcome = await h.deliver('billing.service.suspend_requested.v1', PLATFORM_TENANT_ID, {
      serviceId,
      module: 'cpanel',
    });
    expect(outcome).not.toBe('ack');
    expect(await countRows(h, 'tickets')).toBe(before);
  });
});

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((x) => x.id);
