import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import Stripe from 'stripe';
import { client, PLATFORM_TENANT_ID, startBilling, type Client, type Harness } from './support/billing';
import { activeService, openShop, testClock } from './support/lifecycle';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'stripe', name), 'utf8'));
const STRIPE = 'https://api.stripe.com';
const PLATFORM_KEY = 'sk_test_51PlatformWholesaleKey000000000000004242';
const PLATFORM_WHSEC = 'whsec_PlatformWholesaleSecret0000000000';

/** A reseller pays the platform's wholesale invoice by card, on the platform's own Stripe account. */
describe('a wholesale invoice paid by card', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;

  beforeAll(async () => {
    h = await startBilling({ now: clock.now, lifecycleJobs: false, stripeTimeoutMs: 1_000 });
    api = client(h.url);
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)/);
  }, 60_000);
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    nock.restore();
    await h.stop();
  }, 30_000);

  it('creates the PaymentIntent on the platform’s account for the reseller, and the platform’s webhook settles it', async () => {
    const admin = h.issuer.tokenFor('admin', newId());
    const [shop, other] = [await openShop(h), await openShop(h)];
    const s = await activeService(h, shop);
    // what catalog's internal quote stores for a resold line: the platform's wholesale price
    await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      tx.execute(sql`
        update orders o set snapshot = jsonb_set(o.snapshot, '{lines,0,details}',
          (o.snapshot #> '{lines,0,details}') || '{"source":"resold","wholesale":{"price":650,"setupFee":0}}'::jsonb)
         where o.tenant_id = ${shop.tenantId}
           and o.id = (select order_id from client_services where tenant_id = ${shop.tenantId} and id = ${s.serviceId})`),
    );
    await h.billing.built.services.wholesale.run();
    const bill = (await api.get('/v1/wholesale/invoices', shop.resellerToken)).body.items[0];
    expect(bill.total).toBe(650);

    const path = `/v1/wholesale/invoices/${bill.id}/stripe-payment-intent`;
    // the platform has no card gateway yet: the reseller is told so, nothing is asked of Stripe
    const none = await api.post(path, undefined, shop.resellerToken);
    expect([none.status, none.body.code]).toEqual([422, 'billing.gateway_not_configured']);
    const set = await api.put(
      '/v1/payment-gateways/stripe',
      {
        secretKey: PLATFORM_KEY,
        webhookSecret: PLATFORM_WHSEC,
        publishableKey: 'pk_test_51PlatformPublishable',
      },
      admin,
    );
    expect(set.status).toBe(200);
    // another reseller, and a client, get nothing
    const foreign = await api.post(path, undefined, other.resellerToken);
    expect([foreign.status, foreign.body.code]).toEqual([404, 'billing.invoice_not_found']);
    expect((await api.post(path, undefined, s.client.token)).status).toBe(403);

    const pi = `pi_3${newId().replace(/-/g, '').slice(0, 21)}`;
    const created = nock(STRIPE)
      .post('/v1/payment_intents', (body) => JSON.stringify(body).includes(bill.id))
      .matchHeader('authorization', `Bearer ${PLATFORM_KEY}`)
      .matchHeader('idempotency-key', `geminis-invoice-${bill.id}-0`)
      .reply(200, {
        ...fixture('payment-intent.json'),
        id: pi,
        client_secret: `${pi}_secret_x`,
        amount: 650,
      });
    const intent = await api.post(path, undefined, shop.resellerToken);
    expect(intent.status).toBe(201);
    expect(intent.body).toMatchObject({
      invoiceId: bill.id,
      paymentIntentId: pi,
      amount: 650,
      currency: 'EUR',
      publishableKey: 'pk_test_51PlatformPublishable',
    });
    expect(created.isDone()).toBe(true);

    const base = fixture('payment-intent-succeeded.event.json');
    const payload = JSON.stringify({
      ...base,
      id: `evt_${newId().replace(/-/g, '')}`,
      data: {
        object: {
          ...base.data.object,
          id: pi,
          amount: 650,
          amount_received: 650,
          metadata: { invoiceId: bill.id },
        },
      },
    });
    const hook = await fetch(`${h.url}/v1/callbacks/payments/stripe/${PLATFORM_TENANT_ID}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'stripe-signature': Stripe.webhooks.generateTestHeaderString({ payload, secret: PLATFORM_WHSEC }),
      },
      body: payload,
    });
    expect(hook.status).toBe(200);
    const paid = await api.get(`/v1/wholesale/invoices/${bill.id}`, shop.resellerToken);
    expect([paid.body.status, paid.body.amountPaid]).toEqual(['paid', 650]);
  });
});
