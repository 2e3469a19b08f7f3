import { newId } from '@geminis/service-kit';
import fc from 'fast-check';
import {
  client,
  newClient,
  openShop,
  startBilling,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

/** Whatever a caller sends, billing answers 2xx/4xx — never a 5xx (and a 4xx is problem+json). */
describe('billing under arbitrary input', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;
  let c: { id: string; token: string };
  let invoiceId: string;

  beforeAll(async () => {
    h = await startBilling();
    api = client(h.url);
    shop = await openShop(h);
    c = await newClient(h, shop.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      c.token,
    );
    invoiceId = order.body.invoiceId;
  }, 60_000);
  afterAll(() => h.stop());

  // Bodies near the real shapes (so validation goes deep) and anything at all.
  const item = fc.record(
    {
      productId: fc.oneof(fc.constant('PRODUCT'), fc.uuid(), fc.string()),
      cycle: fc.oneof(fc.constantFrom('monthly', 'annually', 'free', 'onetime', 'weekly'), fc.anything()),
      quantity: fc.oneof(fc.integer({ min: -5, max: 200 }), fc.double(), fc.string()),
      options: fc.array(fc.record({ optionId: fc.uuid(), quantity: fc.integer() }, { requiredKeys: [] }), {
        maxLength: 2,
      }),
      domain: fc.oneof(fc.domain(), fc.string()),
    },
    { requiredKeys: [] },
  );
  const orderBody = fc.oneof(
    fc.record(
      {
        items: fc.array(item, { maxLength: 3 }),
        promoCode: fc.oneof(fc.string(), fc.integer()),
        currency: fc.oneof(fc.constantFrom('EUR', 'JPY', 'KWD', 'usd'), fc.string()),
        clientId: fc.oneof(fc.uuid(), fc.string()),
      },
      { requiredKeys: [] },
    ),
    fc.anything(),
  );
  const money = fc.record(
    {
      amount: fc.oneof(
        fc.integer({ min: -10, max: 10_000 }),
        fc.double(),
        fc.bigInt().map(String),
        fc.constant(2 ** 60),
      ),
      method: fc.oneof(fc.constantFrom('manual', 'bank_transfer', 'credit', 'stripe'), fc.string()),
      currency: fc.oneof(fc.constantFrom('EUR', 'XXX'), fc.string()),
      reason: fc.string(),
    },
    { requiredKeys: [] },
  );

  const check = async (method: string, path: string, body: unknown, token: string) => {
    const res = await api.call(method, path, method === 'GET' ? { token } : { token, body: body ?? null });
    expect([method, path, res.status < 500]).toEqual([method, path, true]);
    if (res.status >= 400) expect(res.headers.get('content-type')).toContain('application/problem+json');
  };

  it('never answers an order with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(orderBody, async (body) => {
        const text = JSON.stringify(body ?? null).replaceAll('"PRODUCT"', JSON.stringify(shop.productId));
        await check('POST', '/v1/orders', JSON.parse(text), c.token);
      }),
      { numRuns: 60 },
    );
  });

  it('never answers payments, credit, credit notes or settings with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(money, fc.anything()), async (body) => {
        await check('POST', `/v1/invoices/${invoiceId}/payments`, body, shop.resellerToken);
        await check('POST', `/v1/invoices/${invoiceId}/apply-credit`, body, c.token);
        await check('POST', `/v1/invoices/${invoiceId}/credit-notes`, body, shop.resellerToken);
        await check('POST', `/v1/credit/${c.id}`, body, shop.resellerToken);
        await check('PATCH', '/v1/billing-settings', body, shop.resellerToken);
        await check('PUT', '/v1/payment-gateways/stripe', body, shop.resellerToken);
      }),
      { numRuns: 40 },
    );
  });

  it('never answers odd path ids or queries with a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.uuid(), fc.string({ minLength: 1 }).map(encodeURIComponent)),
        async (id) => {
          await check('GET', `/v1/orders/${id}`, undefined, c.token);
          await check('GET', `/v1/invoices/${id}?tenantId=${id}`, undefined, c.token);
          await check('GET', `/v1/client-services/${id}`, undefined, shop.resellerToken);
          await check('GET', `/v1/credit/${id}`, undefined, c.token);
          await check('POST', `/v1/orders/${id}/cancel`, {}, c.token);
        },
      ),
      { numRuns: 30 },
    );
    await check('GET', `/v1/orders?tenantId=${newId()}&x=1`, undefined, c.token);
  });
});
