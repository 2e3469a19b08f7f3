import { newId } from '@geminis/service-kit';
import {
  client,
  newClient,
  openShop,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Provisioning's results move billing's view of a client service: once each, in order, in its tenant. */
describe('provisioning results', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  /** A paid order: its service is waiting for provisioning. */
  async function provisioning() {
    const c = await newClient(h, shop.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      c.token,
    );
    const paid = await api.post(
      `/v1/invoices/${order.body.invoiceId}/payments`,
      { amount: 1499 },
      shop.resellerToken,
    );
    expect(paid.body.invoice.status).toBe('paid');
    const serviceId = order.body.serviceIds[0] as string;
    const status = async () => (await api.get(`/v1/client-services/${serviceId}`, c.token)).body;
    expect((await status()).status).toBe('provisioning');
    const result = (type: string, extra: object = {}, id?: string, tenantId = shop.tenantId) =>
      h.deliver(
        `provisioning.service.${type}.v1`,
        tenantId,
        { serviceId, clientId: c.id, module: 'cpanel', ...extra },
        id,
      );
    return { serviceId, status, result };
  }

  it('follows the account through its life: provisioned, suspended, unsuspended, terminated', async () => {
    const s = await provisioning();
    expect(await s.result('provisioned', { username: 'shop1', host: 'server1.example.net' })).toBe('ack');
    expect(await s.status()).toMatchObject({
      status: 'active',
      username: 'shop1',
      host: 'server1.example.net',
    });
    expect(await s.result('suspended')).toBe('ack');
    expect((await s.status()).status).toBe('suspended');
    expect(await s.result('unsuspended')).toBe('ack');
    expect((await s.status()).status).toBe('active');
    expect(await s.result('terminated')).toBe('ack');
    expect((await s.status()).status).toBe('terminated');
  });

  it('applies a redelivered event once and ignores results that come too late', async () => {
    const s = await provisioning();
    const eventId = newId();
    await s.result('provisioned', { username: 'first' }, eventId);
    await s.result('suspended');
    // the same provisioned event again: already applied (inbox), the service stays suspended
    expect(await s.result('provisioned', { username: 'first' }, eventId)).toBe('ack');
    expect((await s.status()).status).toBe('suspended');
    await s.result('terminated');
    // a late "provisioned" (another event id) never resurrects a terminated service
    expect(await s.result('provisioned', { username: 'late' })).toBe('ack');
    expect(await s.status()).toMatchObject({ status: 'terminated', username: 'first' });
  });

  it('shows staff why provisioning failed, and a later success clears it', async () => {
    const s = await provisioning();
    await s.result('provision_failed', { error: 'WHM: package "starter" does not exist', retryable: false });
    expect(await s.status()).toMatchObject({
      status: 'provision_failed',
      lastError: expect.stringContaining('WHM'),
    });
    await s.result('provisioned', { username: 'shop3' });
    expect(await s.status()).toMatchObject({ status: 'active', lastError: null });
  });

  it("dead-letters a result for a service the tenant does not have, leaving other tenants' services alone", async () => {
    const s = await provisioning();
    expect(await s.result('suspended', {}, undefined, newId())).toBe('dead-letter');
    expect(
      await h.deliver('provisioning.service.suspended.v1', shop.tenantId, {
        serviceId: newId(),
        clientId: newId(),
        module: 'cpanel',
      }),
    ).toBe('dead-letter');
    expect((await s.status()).status).toBe('provisioning');
    expect(await h.deliver('provisioning.service.suspended.v1', shop.tenantId, { serviceId: 'nope' })).toBe(
      'dead-letter',
    );
  });

  it('keeps the client projection current from identity (a second delivery changes nothing)', async () => {
    const id = newId();
    const data = {
      clientId: id,
      email: 'a@example.com',
      name: 'A',
      language: 'en',
      currency: 'JPY',
      via: 'signup',
    };
    const eventId = newId();
    expect(await h.deliver('identity.client.created.v1', shop.tenantId, data, eventId)).toBe('ack');
    expect(
      await h.deliver('identity.client.created.v1', shop.tenantId, { ...data, currency: 'EUR' }, eventId),
    ).toBe('ack');
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      h.issuer.tokenFor('client', shop.tenantId, id),
    );
    expect(order.body.currency).toBe('JPY');
  });
});
