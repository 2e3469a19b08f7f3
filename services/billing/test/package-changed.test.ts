import { newId, rows, tenantScope } from '@geminis/service-kit';
import { createTestVhost, type TestVhost } from '@geminis/service-kit/src/testing/rabbit';
import { sql } from 'drizzle-orm';
import { client, newClient, startBilling, type Client, type Harness, type Shop } from './support/billing';
import { activeService, openShop, testClock } from './support/lifecycle';

/**
 * provisioning.service.package_changed.v1 over a real RabbitMQ: the change of package billing applied and
 * requested is recorded in place on the panel, once, in its tenant.
 */
describe('package changed on the panel', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let vhost: TestVhost;
  let h: Harness;
  let api: Client;
  let shop: Shop;
  let mini: string;

  beforeAll(async () => {
    vhost = await createTestVhost('gm_billing_pkg');
    h = await startBilling({ now: clock.now, lifecycleJobs: false }, { amqpUrl: vhost.url });
    api = client(h.url);
    shop = await openShop(h);
    const p = await client(h.catalogUrl).post(
      '/v1/products',
      {
        groupId: shop.groupId,
        name: 'Mini',
        type: 'shared_hosting',
        module: 'cpanel',
        moduleConfig: { package: 'mini' },
        prices: [{ currency: 'EUR', cycle: 'monthly', price: 499 }],
      },
      shop.resellerToken,
    );
    expect(p.status).toBe(201);
    mini = p.body.id;
  }, 90_000);
  afterAll(async () => {
    await h.stop();
    await vhost.drop();
  }, 30_000);

  async function eventually(what: string, check: () => Promise<boolean>) {
    for (let i = 0; i < 200; i += 1) {
      if (await check()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`never: ${what}`);
  }

  /** An active Starter downgraded to Mini: applied at once (a credit), requested from provisioning. */
  async function downgraded() {
    clock.set('2026-03-01');
    const s = await activeService(h, shop);
    clock.set('2026-03-11');
    const res = await api.post(
      `/v1/client-services/${s.serviceId}/change-package`,
      { productId: mini },
      s.client.token,
    );
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'applied', inPlaceAt: null });
    const changes = async (token = s.client.token) =>
      api.get(`/v1/client-services/${s.serviceId}/changes`, token);
    const publish = async (data: object, id = newId()) => {
      const envelope = {
        id,
        type: 'provisioning.service.package_changed.v1',
        source: 'provisioning',
        time: new Date().toISOString(),
        tenantId: shop.tenantId,
        correlationId: id,
        data: {
          serviceId: s.serviceId,
          clientId: s.client.id,
          module: 'cpanel',
          changeId: res.body.changeId,
          productId: mini,
          package: 'mini',
          ...data,
        },
      };
      await h.bus.publish({ id, routingKey: envelope.type, body: Buffer.from(JSON.stringify(envelope)) });
      return id;
    };
    return { ...s, changeId: res.body.changeId as string, changes, publish };
  }

  /** How many times billing's inbox took an event (the consumer's record, in the event's tenant). */
  const inboxed = async (eventId: string) => {
    const [r] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      rows<{ n: number }>(tx, sql`select count(*)::int as n from inbox where event_id = ${eventId}`),
    );
    return r!.n;
  };

  it('records the applied change in place on the panel, once, whatever the redeliveries', async () => {
    const d = await downgraded();
    const eventId = await d.publish({});
    await eventually('billing applies package_changed', async () => {
      const [c] = (await d.changes()).body.items;
      return c.inPlaceAt !== null;
    });
    const [first] = (await d.changes()).body.items;
    expect(first).toMatchObject({ changeId: d.changeId, status: 'applied', panelPackage: 'mini' });
    // the same event again (a redelivery), then another event for the same change: nothing moves
    await d.publish({ package: 'other' }, eventId);
    await d.publish({ package: 'later' });
    await eventually('both are consumed', async () => (await inboxed(eventId)) === 1);
    await new Promise((r) => setTimeout(r, 300));
    const [after] = (await d.changes()).body.items;
    expect(after).toEqual(first);
    expect(await inboxed(eventId)).toBe(1);
  });

  it('dead-letters a change its tenant does not have, and leaves the change requested', async () => {
    const d = await downgraded();
    expect(
      await h.deliver('provisioning.service.package_changed.v1', shop.tenantId, {
        serviceId: d.serviceId,
        clientId: d.client.id,
        module: 'cpanel',
        changeId: newId(),
        productId: mini,
      }),
    ).toBe('dead-letter');
    // another tenant's event naming this change is not this tenant's change
    expect(
      await h.deliver('provisioning.service.package_changed.v1', newId(), {
        serviceId: d.serviceId,
        clientId: d.client.id,
        module: 'cpanel',
        changeId: d.changeId,
        productId: mini,
      }),
    ).toBe('dead-letter');
    expect((await d.changes()).body.items[0].inPlaceAt).toBeNull();
  });

  it('shows a service’s changes to whoever may read the service; others get the 404 of a missing one', async () => {
    const d = await downgraded();
    expect((await d.changes(shop.resellerToken)).body.items).toHaveLength(1);
    const missing = await api.get(`/v1/client-services/${newId()}/changes`, d.client.token);
    expect(missing.status).toBe(404);
    const other = await openShop(h);
    const stranger = await newClient(h, other.tenantId);
    const sibling = await newClient(h, shop.tenantId);
    for (const token of [stranger.token, sibling.token, other.resellerToken]) {
      const res = await d.changes(token);
      expect([res.status, res.body.code]).toEqual([404, missing.body.code]);
    }
  });
});
