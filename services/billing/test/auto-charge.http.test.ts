import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventRegistry } from '@geminis/contracts';
import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import { client, newClient, outboxEvents, type Client, type Harness, type Shop } from './support/billing';
import { openShop, startLifecycle, testClock } from './support/lifecycle';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'stripe', name), 'utf8'));
const STRIPE = 'https://api.stripe.com';
const KEY = 'sk_test_51AcmeResellerKey0000000000000000004242';
const CUSTOMER = 'cus_TAcmeClient0001';
const PM = 'pm_1SZmQ2LkdIwHu7ixVisa4242';
const piId = () => `pi_3${newId().replace(/-/g, '').slice(0, 21)}`;

/** Automatic charges of saved cards on the due date, retried on the tenant's schedule; nock replays Stripe. */
describe('automatic charges', () => {
  const clock = testClock('2026-03-01T10:00:00Z');
  let h: Harness;
  let api: Client;
  let shop: Shop;

  beforeAll(async () => {
    h = await startLifecycle(clock, { stripeTimeoutMs: 1_000 });
    api = client(h.url);
    shop = await openShop(h);
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)/);
    const set = await api.put(
      '/v1/payment-gateways/stripe',
      { secretKey: KEY, webhookSecret: 'whsec_AcmeWebhookSecretNew000000000000' },
      shop.resellerToken,
    );
    expect(set.status).toBe(200);
    const days = await api.patch(
      '/v1/billing-settings/lifecycle',
      { autoChargeRetryDays: [1, 3] },
      shop.resellerToken,
    );
    expect(days.body.autoChargeRetryDays).toEqual([1, 3]);
  }, 60_000);
  beforeEach(() => clock.set('2026-03-01'));
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    nock.restore();
    await h.stop();
  }, 30_000);

  const run = () => h.billing.built.services.autoCharge.run();

  /** A client with a saved card (Stripe confirms it is the customer's) and an unpaid invoice due in 7 days. */
  async function clientWithCard() {
    const c = await newClient(h, shop.tenantId);
    nock(STRIPE)
      .get(`/v1/payment_methods/${PM}`)
      .matchHeader('authorization', `Bearer ${KEY}`)
      .reply(200, fixture('payment-method.json'));
    const saved = await api.put(
      `/v1/payment-methods/${c.id}`,
      { customerId: CUSTOMER, paymentMethodId: PM },
      c.token,
    );
    expect(saved.status).toBe(200);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: shop.productId, cycle: 'monthly' }] },
      c.token,
    );
    expect(order.status).toBe(201);
    const invoiceId = order.body.invoiceId as string;
    const invoice = async () => (await api.get(`/v1/invoices/${invoiceId}`, c.token)).body;
    expect((await invoice()).dueDate).toBe('2026-03-08');
    return { c, invoiceId, invoice, card: saved.body };
  }

  /** Stripe answering the off-session charge of one attempt (its own idempotency key, the saved card). */
  const stripeCharge = (invoiceId: string, attempt: number) =>
    nock(STRIPE)
      .post('/v1/payment_intents', (body: Record<string, string>) => {
        expect(body).toMatchObject({
          amount: '1499',
          currency: 'eur',
          customer: CUSTOMER,
          payment_method: PM,
          off_session: 'true',
          confirm: 'true',
        });
        return body['metadata[invoiceId]'] === invoiceId;
      })
      .matchHeader('authorization', `Bearer ${KEY}`)
      .matchHeader('idempotency-key', `geminis-autocharge-${invoiceId}-${attempt}`);

  const succeeded = (id = piId()) => ({
    ...fixture('payment-intent-off-session-succeeded.json'),
    id,
  });

  it('saves a card by reference only and shows what a client may see of it', async () => {
    const { c, card } = await clientWithCard();
    expect(card).toEqual({
      clientId: c.id,
      provider: 'stripe',
      customerId: CUSTOMER,
      paymentMethodId: PM,
      brand: 'visa',
      last4: '4242',
      expMonth: 12,
      expYear: 2030,
      updatedAt: expect.any(String),
    });
    expect((await api.get(`/v1/payment-methods/${c.id}`, shop.resellerToken)).body.last4).toBe('4242');
    expect((await api.del(`/v1/payment-methods/${c.id}`, c.token)).status).toBe(204);
    expect((await api.get(`/v1/payment-methods/${c.id}`, c.token)).status).toBe(404);
  });

  it('charges the saved card on the due date, once, and the invoice is paid', async () => {
    const { invoiceId, invoice } = await clientWithCard();
    clock.set('2026-03-07');
    expect(await run()).toMatchObject({ claimed: 0 }); // not due yet: Stripe is not called
    clock.set('2026-03-08');
    const id = piId();
    stripeCharge(invoiceId, 0).reply(200, succeeded(id));
    expect(await run()).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(nock.pendingMocks()).toEqual([]);
    expect(await invoice()).toMatchObject({ status: 'paid', amountPaid: 1499 });
    const payments = (await api.get(`/v1/invoices/${invoiceId}/payments`, shop.resellerToken)).body.items;
    expect(payments).toEqual([expect.objectContaining({ method: 'stripe', reference: id, amount: 1499 })]);
    // a second run that day (or a second replica) charges nothing again
    expect(await run()).toMatchObject({ claimed: 0, succeeded: 0 });
  });

  it('retries a declined card on the tenant’s schedule with a new key per attempt, telling the client each time', async () => {
    const { c, invoiceId, invoice } = await clientWithCard();
    clock.set('2026-03-08');
    stripeCharge(invoiceId, 0).reply(402, fixture('error-card-declined.json'));
    expect(await run()).toMatchObject({ claimed: 1, declined: 1 });
    expect(await run()).toMatchObject({ claimed: 0 }); // the same day: no second try
    clock.set('2026-03-09'); // due + 1
    stripeCharge(invoiceId, 1).reply(402, fixture('error-card-declined.json'));
    expect(await run()).toMatchObject({ claimed: 1, declined: 1 });
    clock.set('2026-03-10');
    expect(await run()).toMatchObject({ claimed: 0 });
    clock.set('2026-03-11'); // due + 3
    stripeCharge(invoiceId, 2).reply(200, succeeded());
    expect(await run()).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(nock.pendingMocks()).toEqual([]);
    expect((await invoice()).status).toBe('paid');
    const failed = (await outboxEvents(h, shop.tenantId, 'billing.invoice.auto_charge_failed.v1')).filter(
      (e) => e.invoiceId === invoiceId,
    );
    expect(failed).toEqual([
      expect.objectContaining({
        clientId: c.id,
        attempt: 0,
        code: 'card_declined',
        declineCode: 'insufficient_funds',
        reason: 'Your card has insufficient funds.',
        nextAttemptOn: '2026-03-09',
      }),
      expect.objectContaining({ attempt: 1, nextAttemptOn: '2026-03-11' }),
    ]);
    for (const e of failed)
      expect(eventRegistry.get('billing.invoice.auto_charge_failed.v1')!.schema.safeParse(e).success).toBe(
        true,
      );
  });

  it('stops when the schedule is spent', async () => {
    const { invoiceId, invoice } = await clientWithCard();
    for (const [day, attempt] of [
      ['2026-03-08', 0],
      ['2026-03-09', 1],
      ['2026-03-11', 2],
    ] as const) {
      clock.set(day);
      stripeCharge(invoiceId, attempt).reply(402, fixture('error-card-declined.json'));
      expect(await run()).toMatchObject({ declined: 1 });
    }
    clock.set('2026-03-20');
    expect(await run()).toMatchObject({ claimed: 0 });
    expect((await invoice()).status).toBe('unpaid');
    const last = (await outboxEvents(h, shop.tenantId, 'billing.invoice.auto_charge_failed.v1')).filter(
      (e) => e.invoiceId === invoiceId,
    );
    expect(last.at(-1)).toMatchObject({ attempt: 2, nextAttemptOn: null });
  });

  it('asks Stripe again with the same key when an answer was lost, and pays once', async () => {
    const { invoiceId, invoice } = await clientWithCard();
    clock.set('2026-03-08');
    stripeCharge(invoiceId, 0).reply(500, fixture('error-api.json'));
    expect(await run()).toMatchObject({ claimed: 1, unknown: 1 });
    expect((await invoice()).status).toBe('unpaid'); // nothing recorded that Stripe did not confirm
    const id = piId();
    stripeCharge(invoiceId, 0).reply(200, succeeded(id)); // same key: Stripe answers what it did
    expect(await run()).toMatchObject({ claimed: 0, succeeded: 1 });
    expect(await invoice()).toMatchObject({ status: 'paid', amountPaid: 1499 });
    const [attempts] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
      rows<{ n: number }>(
        tx,
        sql`select count(*)::int as n from auto_charge_attempts where invoice_id = ${invoiceId}`,
      ),
    );
    expect(attempts!.n).toBe(1);
  });

  it('charges what is still owed on the next day of the schedule when the invoice was paid in part meanwhile', async () => {
    const { invoiceId, invoice } = await clientWithCard();
    clock.set('2026-03-08');
    stripeCharge(invoiceId, 0).reply(402, fixture('error-card-declined.json'));
    await run();
    const part = await api.post(`/v1/invoices/${invoiceId}/payments`, { amount: 499 }, shop.resellerToken);
    expect(part.body.invoice.status).toBe('partially_paid');
    clock.set('2026-03-09');
    nock(STRIPE)
      .post('/v1/payment_intents', (body: Record<string, string>) => body.amount === '1000')
      .matchHeader('idempotency-key', `geminis-autocharge-${invoiceId}-1`)
      .reply(200, { ...succeeded(), amount: 1000, amount_received: 1000 });
    expect(await run()).toMatchObject({ claimed: 1, succeeded: 1 });
    expect(await invoice()).toMatchObject({ status: 'paid', amountPaid: 1499 });
  });

  it('refuses a card that is not the customer’s, or a malformed reference, naming the field', async () => {
    const c = await newClient(h, shop.tenantId);
    nock(STRIPE)
      .get(`/v1/payment_methods/${PM}`)
      .reply(200, { ...fixture('payment-method.json'), customer: 'cus_SomeoneElse0001' });
    const foreign = await api.put(
      `/v1/payment-methods/${c.id}`,
      { customerId: CUSTOMER, paymentMethodId: PM },
      c.token,
    );
    expect(foreign.status).toBe(400);
    expect(foreign.body.errors).toEqual([expect.objectContaining({ field: 'paymentMethodId' })]);
    const bad = await api.put(
      `/v1/payment-methods/${c.id}`,
      { customerId: '4242424242424242', paymentMethodId: PM },
      c.token,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'customerId' })]);
    expect((await api.get(`/v1/payment-methods/${c.id}`, c.token)).status).toBe(404);
  });

  it('answers another tenant and a sibling client exactly like a missing client', async () => {
    const { c } = await clientWithCard();
    const other = await openShop(h);
    const stranger = await newClient(h, other.tenantId);
    const sibling = await newClient(h, shop.tenantId);
    const missing = await api.get(`/v1/payment-methods/${newId()}`, stranger.token);
    expect(missing.status).toBe(404);
    for (const token of [stranger.token, sibling.token, other.resellerToken]) {
      const res = await api.get(`/v1/payment-methods/${c.id}`, token);
      expect([res.status, res.body.code]).toEqual([404, missing.body.code]);
      const del = await api.del(`/v1/payment-methods/${c.id}`, token);
      expect([del.status, del.body.code]).toEqual([404, missing.body.code]);
    }
    expect((await api.get(`/v1/payment-methods/${c.id}`, c.token)).status).toBe(200);
  });
});
