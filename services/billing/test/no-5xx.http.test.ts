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
  afterAll(() => h.stop(), 30_000);

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

  it('never answers domain orders, saved cards, changes of package, reports or lifecycle settings with a 5xx', async () => {
    const contact = fc.record(
      {
        firstName: fc.string(),
        lastName: fc.string(),
        email: fc.oneof(fc.emailAddress(), fc.string()),
        phone: fc.oneof(fc.constant('+1.4155550100'), fc.string()),
        address1: fc.string(),
        city: fc.string(),
        postcode: fc.string(),
        country: fc.oneof(fc.constantFrom('PT', 'pt', 'XX'), fc.string()),
      },
      { requiredKeys: [] },
    );
    const domainItem = fc.record(
      {
        domain: fc.oneof(fc.domain(), fc.string()),
        action: fc.oneof(fc.constantFrom('register', 'transfer', 'renew'), fc.string()),
        years: fc.oneof(fc.integer({ min: -1, max: 12 }), fc.double()),
        eppCode: fc.oneof(fc.string(), fc.integer()),
        nameservers: fc.array(fc.oneof(fc.domain(), fc.string()), { maxLength: 14 }),
        privacy: fc.anything(),
        registrant: fc.oneof(contact, fc.anything()),
      },
      { requiredKeys: [] },
    );
    const serviceId = (
      await api.post('/v1/orders', { items: [{ productId: shop.productId, cycle: 'monthly' }] }, c.token)
    ).body.serviceIds[0] as string;
    await fc.assert(
      fc.asyncProperty(
        fc.record({ domains: fc.array(domainItem, { maxLength: 2 }) }, { requiredKeys: [] }),
        fc.oneof(
          fc.record({ productId: fc.oneof(fc.uuid(), fc.string()) }, { requiredKeys: [] }),
          fc.anything(),
        ),
        fc.oneof(
          fc.record(
            {
              customerId: fc.oneof(fc.constant('cus_Abcd1234'), fc.string()),
              paymentMethodId: fc.oneof(fc.constant('pm_Abcd1234'), fc.string()),
            },
            { requiredKeys: [] },
          ),
          fc.anything(),
        ),
        fc.record(
          {
            autoChargeRetryDays: fc.oneof(fc.array(fc.integer({ min: -5, max: 100 })), fc.anything()),
            reminderDays: fc.oneof(fc.array(fc.integer({ min: -100, max: 400 })), fc.anything()),
          },
          { requiredKeys: [] },
        ),
        fc.tuple(
          fc.oneof(
            fc.date({ noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
            fc.string(),
          ),
          fc.string(),
        ),
        async (order, change, card, lifecycle, [from, to]) => {
          await check('POST', '/v1/orders', order, c.token);
          await check('POST', `/v1/client-services/${serviceId}/change-package`, change, c.token);
          await check('PUT', `/v1/payment-methods/${c.id}`, card, c.token);
          await check('PATCH', '/v1/billing-settings/lifecycle', lifecycle, shop.resellerToken);
          const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
          await check('GET', `/v1/billing-reports/summary?${q}`, undefined, shop.resellerToken);
        },
      ),
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
