import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import Stripe from 'stripe';
import {
  client,
  countRows,
  newClient,
  openShop,
  outboxEvents,
  PLATFORM_TENANT_ID,
  startBilling,
  withKey,
  type Client,
  type Harness,
  type Shop,
} from './support/billing';

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(__dirname, 'fixtures', 'stripe', name), 'utf8'));
const STRIPE = 'https://api.stripe.com';
const KEY_A = 'sk_test_51AcmeResellerKey0000000000000000004242';
const WHSEC_A = 'whsec_AcmeWebhookSecretNew000000000000';
const WHSEC_A_OLD = 'whsec_AcmeWebhookSecretOld000000000000';
const piId = () => `pi_3${newId().replace(/-/g, '').slice(0, 21)}`;

/** Card payments through each tenant's own Stripe account; nock replays Stripe's HTTP API. */
describe('Stripe', () => {
  let h: Harness;
  let api: Client;
  let shop: Shop;
  let other: Shop;

  beforeAll(async () => {
    h = await startBilling({ stripeTimeoutMs: 1_000 });
    api = client(h.url);
    [shop, other] = await Promise.all([openShop(h), openShop(h)]);
    if (!nock.isActive()) nock.activate();
    nock.disableNetConnect();
    nock.enableNetConnect(/^(127\.0\.0\.1|localhost)/);
    const set = await api.put(
      '/v1/payment-gateways/stripe',
      { secretKey: KEY_A, webhookSecret: WHSEC_A, publishableKey: 'pk_test_51AcmeResellerPublishable' },
      shop.resellerToken,
    );
    expect(set.status).toBe(200);
  }, 60_000);
  afterEach(() => nock.cleanAll());
  afterAll(async () => {
    nock.enableNetConnect();
    nock.restore();
    await h.stop();
  }, 30_000);

  async function unpaidInvoice(s: Shop = shop) {
    const c = await newClient(h, s.tenantId);
    const order = await api.post(
      '/v1/orders',
      { items: [{ productId: s.productId, cycle: 'monthly' }] },
      c.token,
    );
    expect(order.status).toBe(201);
    return { client: c, order: order.body, invoiceId: order.body.invoiceId as string };
  }

  /** Stripe answering one PaymentIntent creation for an invoice, with the key and idempotency key we expect. */
  const stripeCreates = (invoiceId: string, id: string) =>
    nock(STRIPE)
      .post('/v1/payment_intents', (body) => JSON.stringify(body).includes(invoiceId))
      .matchHeader('authorization', `Bearer ${KEY_A}`)
      .matchHeader('idempotency-key', `geminis-invoice-${invoiceId}-0`)
      .reply(200, {
        ...fixture('payment-intent.json'),
        id,
        client_secret: `${id}_secret_x`,
        metadata: { invoiceId },
      });

  const intent = (invoiceId: string, token: string, key = newId()) =>
    api.call('POST', `/v1/invoices/${invoiceId}/stripe-payment-intent`, { token, headers: withKey(key) });

  describe('gateway credentials', () => {
    it('shows whether the account is set and a hint, never the secrets, which are sealed at rest', async () => {
      const res = await api.get('/v1/payment-gateways/stripe', shop.resellerToken);
      expect(res.body).toEqual({
        tenantId: shop.tenantId,
        provider: 'stripe',
        configured: true,
        publishableKey: 'pk_test_51AcmeResellerPublishable',
        secretKeyHint: 'sk_test_…4242',
      });
      const [stored] = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
        rows<Record<string, string>>(tx, sql`select * from payment_gateways`),
      );
      expect(JSON.stringify(stored)).not.toContain(KEY_A.slice(8));
      expect(JSON.stringify(stored)).not.toContain(WHSEC_A.slice(6));
    });

    it('refuses a malformed key naming the field', async () => {
      const res = await api.put(
        '/v1/payment-gateways/stripe',
        { secretKey: 'pk_live_x', webhookSecret: WHSEC_A },
        other.resellerToken,
      );
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('secretKey');
      expect((await api.get('/v1/payment-gateways/stripe', other.resellerToken)).body.configured).toBe(false);
    });

    it("never lets a reseller without its own account use the platform's", async () => {
      const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
      const platform = await api.put(
        '/v1/payment-gateways/stripe',
        { secretKey: 'sk_test_51PlatformKey000000000000009999', webhookSecret: 'whsec_PlatformSecret000000' },
        admin,
      );
      expect(platform.body.tenantId).toBe(PLATFORM_TENANT_ID);
      const { client: c, invoiceId } = await unpaidInvoice(other);
      const res = await intent(invoiceId, c.token);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('billing.gateway_not_configured');
      expect(nock.pendingMocks()).toEqual([]);
    });
  });

  describe('PaymentIntents', () => {
    it('creates one PaymentIntent for concurrent identical requests, all answered alike, and pays nothing yet', async () => {
      const { client: c, invoiceId } = await unpaidInvoice();
      const scope = stripeCreates(invoiceId, piId());
      const key = newId();
      const answers = await Promise.all(Array.from({ length: 10 }, () => intent(invoiceId, c.token, key)));
      expect(answers.map((a) => a.status)).toEqual(Array(10).fill(201));
      expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
      expect(answers[0]!.body).toMatchObject({
        invoiceId,
        amount: 1499,
        currency: 'EUR',
        status: 'requires_payment_method',
      });
      expect(scope.isDone()).toBe(true);
      expect((await api.get(`/v1/invoices/${invoiceId}`, c.token)).body.status).toBe('unpaid');
    });

    it('records nothing when Stripe fails, and asks to retry with the same key', async () => {
      const { client: c, invoiceId } = await unpaidInvoice();
      nock(STRIPE).post('/v1/payment_intents').reply(500, fixture('error-api.json'));
      const res = await intent(invoiceId, c.token);
      expect(res.status).toBe(503);
      expect(res.body.code).toBe('billing.stripe_outcome_unknown');
      const attempts = await h.db.withTenant(tenantScope(shop.tenantId), (tx) =>
        rows(tx, sql`select 1 from payment_attempts where invoice_id = ${invoiceId}`),
      );
      expect(attempts).toEqual([]);
      expect((await api.get(`/v1/invoices/${invoiceId}`, c.token)).body.status).toBe('unpaid');
    });

    it('reconciles a lost answer by asking Stripe again with the same idempotency key (never a second charge)', async () => {
      const { client: c, invoiceId } = await unpaidInvoice();
      const id = piId();
      const seen: string[] = [];
      nock(STRIPE)
        .post('/v1/payment_intents')
        .matchHeader('idempotency-key', (value: string | null) => {
          if (value === null) return false;
          seen.push(value);
          return true;
        })
        .delay(3_000) // longer than the client's timeout: the answer is lost
        .reply(200, { ...fixture('payment-intent.json'), id });
      const key = newId();
      const lost = await intent(invoiceId, c.token, key);
      expect(lost.status).toBe(503);
      const retried = stripeCreates(invoiceId, id);
      const again = await intent(invoiceId, c.token, key);
      expect(again.status).toBe(201);
      expect(again.body.paymentIntentId).toBe(id);
      expect(retried.isDone()).toBe(true);
      expect(seen.every((k) => k === `geminis-invoice-${invoiceId}-0`)).toBe(true);
    });

    it('refuses a 3-decimal amount Stripe cannot take (KWD not ending in 0) before calling Stripe', async () => {
      const c = await newClient(h, shop.tenantId, 'KWD');
      const order = await api.post(
        '/v1/orders',
        { items: [{ productId: shop.productId, cycle: 'monthly' }] },
        c.token,
      );
      expect(order.body.total).toBe(3335);
      const res = await intent(order.body.invoiceId, c.token);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('billing.stripe_amount_unsupported');
      expect(nock.pendingMocks()).toEqual([]);
    });

    it("answers another tenant's invoice like a missing one", async () => {
      const { invoiceId } = await unpaidInvoice();
      const stranger = await newClient(h, other.tenantId);
      const mine = await intent(invoiceId, stranger.token);
      const missing = await intent(newId(), stranger.token);
      expect([mine.status, mine.body.code]).toEqual([missing.status, missing.body.code]);
      expect(mine.status).toBe(404);
    });
  });

  describe('card refunds of credit notes', () => {
    let invoiceId: string;
    let payer: { id: string; token: string };
    let id: string;

    /** An invoice paid by card: PaymentIntent created, then Stripe's signed payment_intent.succeeded. */
    beforeAll(async () => {
      const made = await unpaidInvoice();
      invoiceId = made.invoiceId;
      payer = made.client;
      id = piId();
      stripeCreates(invoiceId, id);
      expect((await intent(invoiceId, payer.token)).status).toBe(201);
      const base = fixture('payment-intent-succeeded.event.json');
      const event = {
        ...base,
        id: `evt_${newId().replace(/-/g, '')}`,
        data: { object: { ...base.data.object, id } },
      };
      const payload = JSON.stringify(event);
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC_A });
      const res = await fetch(`${h.url}/v1/callbacks/payments/stripe/${shop.tenantId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
      expect(res.status).toBe(200);
    });

    const creditNote = (body: object) =>
      api.post(
        `/v1/invoices/${invoiceId}/credit-notes`,
        { reason: 'refund', refundTo: 'stripe', ...body },
        shop.resellerToken,
      );
    const stripeRefunds = (amount: number, keys: string[], status = 200) =>
      nock(STRIPE)
        .post(
          '/v1/refunds',
          (body) => JSON.stringify(body).includes(id) && JSON.stringify(body).includes(String(amount)),
        )
        .matchHeader('authorization', `Bearer ${KEY_A}`)
        .matchHeader('idempotency-key', (value: string | null) => {
          if (!value?.startsWith('geminis-credit-note-')) return false;
          keys.push(value);
          return true;
        })
        .reply(
          status,
          status === 200
            ? { ...fixture('refund.json'), amount, payment_intent: id }
            : fixture('error-api.json'),
        );
    const notes = async () =>
      (await api.get(`/v1/invoices/${invoiceId}/credit-notes`, payer.token)).body.items;

    it('refunds to the card with a key of the credit note, not to account credit', async () => {
      const keys: string[] = [];
      const scope = stripeRefunds(500, keys);
      const res = await creditNote({ amount: 500 });
      expect(res.status).toBe(201);
      expect(res.body.creditNote).toMatchObject({
        amount: 500,
        refundTo: 'stripe',
        refund: { status: 'pending' },
      });
      expect(scope.isDone()).toBe(true);
      expect(keys).toEqual([`geminis-credit-note-${res.body.creditNote.id}`]);
      expect((await notes())[0].refund).toEqual({
        status: 'succeeded',
        refundId: 're_3SZmPzLkdIwHu7ix1Qw2Er3T',
      });
      expect((await api.get(`/v1/credit/${payer.id}`, payer.token)).body.balances).toEqual([]);
    });

    it('keeps a refund Stripe did not confirm pending and retries it with the same key (never twice)', async () => {
      const keys: string[] = [];
      stripeRefunds(300, keys, 500);
      const res = await creditNote({ amount: 300 });
      expect(res.status).toBe(201);
      const noteId = res.body.creditNote.id as string;
      expect((await notes()).find((n: { id: string }) => n.id === noteId).refund.status).toBe('pending');
      const retried = stripeRefunds(300, keys);
      expect(await h.billing.built.services.refunds.retryPending()).toBe(1);
      expect(retried.isDone()).toBe(true);
      expect(keys).toEqual([`geminis-credit-note-${noteId}`, `geminis-credit-note-${noteId}`]);
      expect((await notes()).find((n: { id: string }) => n.id === noteId).refund.status).toBe('succeeded');
      expect(await h.billing.built.services.refunds.retryPending()).toBe(0);
      // billing.payment.refunded.v1 once, when Stripe confirmed (not for the pending attempt, not twice)
      const refunded = (await outboxEvents(h, shop.tenantId, 'billing.payment.refunded.v1')).filter(
        (e) => e.creditNoteId === noteId,
      );
      expect(refunded).toEqual([
        expect.objectContaining({
          invoiceId,
          clientId: payer.id,
          amount: 300,
          refundTo: 'stripe',
          refundId: 're_3SZmPzLkdIwHu7ix1Qw2Er3T',
          paymentIntent: id,
        }),
      ]);
      const issued = (await outboxEvents(h, shop.tenantId, 'billing.credit_note.issued.v1')).filter(
        (e) => e.creditNoteId === noteId,
      );
      expect(issued).toEqual([expect.objectContaining({ amount: 300, refundTo: 'stripe' })]);
    });

    it('refuses to refund more than the card payment holds, naming the amount', async () => {
      // €9.99 paid by bank transfer, the last €5.00 by card: a €6.00 credit is fine, but not to the card
      const made = await unpaidInvoice();
      await api.post(`/v1/invoices/${made.invoiceId}/payments`, { amount: 999 }, shop.resellerToken);
      const pi = piId();
      nock(STRIPE)
        .post('/v1/payment_intents')
        .reply(200, { ...fixture('payment-intent.json'), id: pi, amount: 500 });
      expect((await intent(made.invoiceId, made.client.token)).body.amount).toBe(500);
      const base = fixture('payment-intent-succeeded.event.json');
      const payload = JSON.stringify({
        ...base,
        id: `evt_${newId().replace(/-/g, '')}`,
        data: { object: { ...base.data.object, id: pi, amount: 500, amount_received: 500 } },
      });
      const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC_A });
      await fetch(`${h.url}/v1/callbacks/payments/stripe/${shop.tenantId}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        body: payload,
      });
      expect((await api.get(`/v1/invoices/${made.invoiceId}`, shop.resellerToken)).body.status).toBe('paid');
      const res = await api.post(
        `/v1/invoices/${made.invoiceId}/credit-notes`,
        { amount: 600, reason: 'x', refundTo: 'stripe' },
        shop.resellerToken,
      );
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('billing.refund_over_card');
      expect(res.body.errors[0].field).toBe('amount');
      const toCredit = await api.post(
        `/v1/invoices/${made.invoiceId}/credit-notes`,
        { amount: 600, reason: 'x' },
        shop.resellerToken,
      );
      expect(toCredit.status).toBe(201);
    });
  });

  describe('webhook', () => {
    let invoiceId: string;
    let orderId: string;
    let id: string;
    let event: Record<string, any>;

    beforeAll(async () => {
      const made = await unpaidInvoice();
      invoiceId = made.invoiceId;
      orderId = made.order.id;
      id = piId();
      stripeCreates(invoiceId, id);
      expect((await intent(invoiceId, made.client.token)).status).toBe(201);
      const base = fixture('payment-intent-succeeded.event.json');
      event = {
        ...base,
        id: `evt_${newId().replace(/-/g, '')}`,
        data: { object: { ...base.data.object, id, metadata: { invoiceId } } },
      };
    });

    const now = () => Math.floor(Date.now() / 1000);
    const sign = (payload: string, secret = WHSEC_A, timestamp = now()) =>
      Stripe.webhooks.generateTestHeaderString({ payload, secret, timestamp });
    const post = (payload: string, signature: string | undefined, tenantId = shop.tenantId) =>
      fetch(`${h.url}/v1/callbacks/payments/stripe/${tenantId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(signature ? { 'stripe-signature': signature } : {}),
        },
        body: payload,
      });
    const invoiceStatus = async () =>
      (await api.get(`/v1/invoices/${invoiceId}`, shop.resellerToken)).body.status;

    it.each([
      [
        'a tampered body',
        () => {
          const payload = JSON.stringify(event);
          return [payload.replace('"amount_received":1499', '"amount_received":9999'), sign(payload)];
        },
      ],
      [
        'a wrong secret',
        () => [JSON.stringify(event), sign(JSON.stringify(event), 'whsec_SomeoneElse0000000000')],
      ],
      ['no Stripe-Signature header', () => [JSON.stringify(event), undefined]],
      [
        'a stale timestamp (6 minutes old)',
        () => [JSON.stringify(event), sign(JSON.stringify(event), WHSEC_A, now() - 360)],
      ],
      [
        'a future timestamp (6 minutes ahead)',
        () => [JSON.stringify(event), sign(JSON.stringify(event), WHSEC_A, now() + 360)],
      ],
      [
        'a body re-serialized by a JSON parser',
        () => {
          const signed = JSON.stringify(event, null, 2);
          return [JSON.stringify(JSON.parse(signed)), sign(signed)];
        },
      ],
    ] as [string, () => [string, string | undefined]][])(
      'refuses %s (400) and applies nothing',
      async (_what, make) => {
        const [payload, signature] = make();
        const before = await countRows(h, 'stripe_events', shop.tenantId);
        const res = await post(payload, signature);
        expect(res.status).toBe(400);
        expect(await invoiceStatus()).toBe('unpaid');
        expect(await countRows(h, 'stripe_events', shop.tenantId)).toBe(before);
      },
    );

    it("refuses a valid event sent to another tenant's endpoint", async () => {
      await api.put(
        '/v1/payment-gateways/stripe',
        { secretKey: 'sk_test_51OtherReseller0000001111', webhookSecret: 'whsec_OtherSecret00000000' },
        other.resellerToken,
      );
      const payload = JSON.stringify(event);
      expect((await post(payload, sign(payload), other.tenantId)).status).toBe(400);
      expect(await invoiceStatus()).toBe('unpaid');
    });

    it('applies a valid event once: the invoice is paid and provisioning requested; a replay changes nothing', async () => {
      const payload = JSON.stringify(event);
      const first = await post(payload, sign(payload));
      expect(first.status).toBe(200);
      expect(await first.json()).toEqual({ received: true, duplicate: false });
      expect(await invoiceStatus()).toBe('paid');
      const replay = await post(payload, sign(payload));
      expect(await replay.json()).toEqual({ received: true, duplicate: true });
      const payments = await api.get(`/v1/invoices/${invoiceId}/payments`, shop.resellerToken);
      expect(payments.body.items).toEqual([
        expect.objectContaining({ method: 'stripe', amount: 1499, reference: id }),
      ]);
      const requested = await outboxEvents(h, shop.tenantId, 'billing.service.provision_requested.v1');
      expect(requested.filter((r) => r.orderId === orderId)).toHaveLength(1);
    });

    it('accepts an event signed with both the old and the new secret while the secret rotates', async () => {
      const rotated = {
        ...event,
        id: `evt_${newId().replace(/-/g, '')}`,
        type: 'payment_intent.payment_failed',
      };
      const payload = JSON.stringify(rotated);
      const t = now();
      const v1 = (secret: string) => /v1=([0-9a-f]+)/.exec(sign(payload, secret, t))![1];
      const res = await post(payload, `t=${t},v1=${v1(WHSEC_A_OLD)},v1=${v1(WHSEC_A)}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ received: true, duplicate: false });
    });
  });
});
