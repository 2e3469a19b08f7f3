import {
  client,
  countRows,
  newClient,
  openShop,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Catalog unreachable: orders fail with a 5xx upstream problem, the breaker opens, nothing is written. */
describe('orders while catalog is down', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    // catalog runs (the shop is created through it), but billing is pointed at a port nobody listens on
    h = await startBilling({ catalogUrl: 'http://127.0.0.1:9' });
    api = client(h.url);
    shop = await openShop(h);
  }, 60_000);
  afterAll(() => h.stop(), 30_000);

  it('answers 502 then, once the breaker opens, 503 with Retry-After — and records no order', async () => {
    const c = await newClient(h, shop.tenantId);
    const statuses: number[] = [];
    let open: Awaited<ReturnType<Client['post']>> | undefined;
    for (let i = 0; i < 10 && !open; i += 1) {
      const res = await api.post(
        '/v1/orders',
        { items: [{ productId: shop.productId, cycle: 'monthly' }] },
        c.token,
      );
      statuses.push(res.status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      if (res.status === 503) open = res;
    }
    expect(statuses[0]).toBe(502);
    expect(statuses.every((s) => s === 502 || s === 503)).toBe(true);
    expect(open?.body.code).toBe('upstream.unavailable');
    expect(Number(open?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await countRows(h, 'orders', shop.tenantId)).toBe(0);
    expect(await countRows(h, 'idempotency_keys', shop.tenantId)).toBe(0);
  });
});
