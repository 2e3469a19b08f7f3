import {
  BusinessRuleError,
  ConflictError,
  UnavailableError,
  ValidationError,
  type KitLogger,
} from '@geminis/service-kit';
import CircuitBreaker from 'opossum';
import type Stripe from 'stripe';

/**
 * The Stripe library, loaded on first use (a payment, a webhook): not at every billing start, whether the
 * tenant uses Stripe or not.
 */
let stripeLibrary: typeof Stripe | undefined;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const stripeSdk = (): typeof Stripe => (stripeLibrary ??= require('stripe') as typeof Stripe);

export interface StripeClientOptions {
  /** Per call to Stripe. Default 10 000 ms. */
  timeoutMs?: number;
  /** Calls in the window before the error rate can open the breaker. Default 10. */
  volumeThreshold?: number;
  resetTimeoutMs?: number;
  logger?: KitLogger;
}

export interface CreatedIntent {
  id: string;
  clientSecret: string;
  status: string;
  amount: number;
  currency: string;
}

/** What an off-session charge did: Stripe's answer, or a refusal of the card (never an unknown outcome). */
export type OffSessionCharge =
  | { outcome: 'succeeded' | 'processing'; paymentIntentId: string; amountReceived: number; currency: string }
  | {
      outcome: 'declined';
      paymentIntentId: string | null;
      code: string;
      declineCode: string | null;
      message: string;
    };

export interface SavedCard {
  customer: string | null;
  type: string;
  brand: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
}

/** Webhook signatures are accepted within 5 minutes either side of now (stripe-node only checks the past). */
export const WEBHOOK_TOLERANCE_SEC = 300;

type StripeErrorLike = { type?: string; statusCode?: number; message?: string; code?: string };

/** A refusal about the request itself (4xx other than 429): not a sign that Stripe is unhealthy. */
const isCallerError = (err: unknown): boolean => {
  const s = (err as StripeErrorLike).statusCode;
  return typeof s === 'number' && s >= 400 && s < 500 && s !== 429;
};

function mapped(err: unknown, resetTimeoutMs: number): Error {
  const e = err as StripeErrorLike;
  if (e.code === 'EOPENBREAKER')
    return new UnavailableError('billing.stripe_unavailable', 'Stripe is unavailable; try again later', {
      retryAfterSeconds: Math.ceil(resetTimeoutMs / 1000),
    });
  switch (e.type ?? '') {
    case 'StripeAuthenticationError':
    case 'StripePermissionError':
      return new BusinessRuleError(
        'billing.gateway_misconfigured',
        'the Stripe account of this storefront refused our key',
      );
    case 'StripeIdempotencyError':
      return new ConflictError('billing.stripe_idempotency', 'Stripe saw this payment with other parameters');
    case 'StripeCardError':
    case 'StripeInvalidRequestError':
      return new BusinessRuleError(
        'billing.stripe_rejected',
        `Stripe refused the payment: ${e.message ?? 'invalid request'}`,
      );
    default:
      // A timeout or a lost answer: Stripe may have acted. Retrying with the same Idempotency-Key sends the
      // same Stripe idempotency key, so Stripe answers with what it did instead of doing it again.
      return new UnavailableError(
        'billing.stripe_outcome_unknown',
        'Stripe did not answer; retry with the same Idempotency-Key (nothing is charged twice)',
        { retryAfterSeconds: 2, cause: err },
      );
  }
}

/**
 * Stripe with the official library: one breaker for Stripe (4xx refusals do not count towards opening it),
 * a timeout on every call, no blind retries (the caller retries with the same idempotency key), and the
 * webhook signature checked on the raw bytes.
 */
export function createStripeClient(options: StripeClientOptions = {}) {
  const timeout = options.timeoutMs ?? 10_000;
  const resetTimeoutMs = options.resetTimeoutMs ?? 30_000;
  const breaker = new CircuitBreaker((call: () => Promise<unknown>) => call(), {
    name: 'stripe',
    timeout: false, // the library's own timeout aborts the request
    volumeThreshold: options.volumeThreshold ?? 10,
    errorThresholdPercentage: 50,
    resetTimeout: resetTimeoutMs,
    errorFilter: isCallerError,
  });
  breaker.on('open', () => options.logger?.warn({ dependency: 'stripe' }, 'circuit opened'));
  const clients = new Map<string, Stripe>();
  const clientFor = (secretKey: string): Stripe => {
    let c = clients.get(secretKey);
    if (!c) {
      const StripeSdk = stripeSdk();
      c = new StripeSdk(secretKey, { maxNetworkRetries: 0, timeout });
      clients.set(secretKey, c);
    }
    return c;
  };

  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    try {
      return (await breaker.fire(call)) as T;
    } catch (err) {
      throw mapped(err, resetTimeoutMs);
    }
  }

  return {
    /** Creates (or, with the same idempotency key, finds again) the PaymentIntent of an invoice. */
    async createPaymentIntent(
      secretKey: string,
      p: { amount: bigint; currency: string; metadata: Record<string, string>; idempotencyKey: string },
    ): Promise<CreatedIntent> {
      const intent = await guarded(() =>
        clientFor(secretKey).paymentIntents.create(
          {
            amount: Number(p.amount),
            currency: p.currency.toLowerCase(),
            metadata: p.metadata,
            automatic_payment_methods: { enabled: true },
          },
          { idempotencyKey: p.idempotencyKey },
        ),
      );
      return {
        id: intent.id,
        clientSecret: intent.client_secret ?? '',
        status: intent.status,
        amount: intent.amount,
        currency: intent.currency.toUpperCase(),
      };
    },

    /**
     * Charges a saved payment method without the client present (`off_session`, confirmed at once). A card
     * refusal (Stripe's 402 card_error, or an intent left needing the client's authentication) is an answer,
     * not an error; a lost answer or an outage throws (the caller retries with the same idempotency key).
     */
    async chargeOffSession(
      secretKey: string,
      p: {
        amount: bigint;
        currency: string;
        customer: string;
        paymentMethod: string;
        metadata: Record<string, string>;
        idempotencyKey: string;
      },
    ): Promise<OffSessionCharge> {
      try {
        const intent = (await breaker.fire(() =>
          clientFor(secretKey).paymentIntents.create(
            {
              amount: Number(p.amount),
              currency: p.currency.toLowerCase(),
              customer: p.customer,
              payment_method: p.paymentMethod,
              off_session: true,
              confirm: true,
              metadata: p.metadata,
            },
            { idempotencyKey: p.idempotencyKey },
          ),
        )) as Stripe.PaymentIntent;
        const status: string = intent.status;
        if (status === 'succeeded' || status === 'processing')
          return {
            outcome: status,
            paymentIntentId: intent.id,
            amountReceived: intent.amount_received,
            currency: intent.currency.toUpperCase(),
          };
        return {
          outcome: 'declined',
          paymentIntentId: intent.id,
          code: intent.last_payment_error?.code ?? intent.status,
          declineCode: intent.last_payment_error?.decline_code ?? null,
          message: intent.last_payment_error?.message ?? `the payment needs the client (${intent.status})`,
        };
      } catch (err) {
        const e = err as StripeErrorLike & {
          decline_code?: string;
          raw?: { payment_intent?: { id?: string } };
        };
        if (e.type === 'StripeCardError')
          return {
            outcome: 'declined',
            paymentIntentId: e.raw?.payment_intent?.id ?? null,
            code: e.code ?? 'card_declined',
            declineCode: e.decline_code ?? null,
            message: e.message ?? 'the card was declined',
          };
        throw mapped(err, resetTimeoutMs);
      }
    },

    /** A saved payment method as Stripe knows it (whose customer it is, and what the client may see of it). */
    async paymentMethod(secretKey: string, id: string): Promise<SavedCard> {
      const pm = await guarded(() => clientFor(secretKey).paymentMethods.retrieve(id));
      const customer = typeof pm.customer === 'string' ? pm.customer : (pm.customer?.id ?? null);
      return {
        customer,
        type: pm.type,
        brand: pm.card?.brand ?? null,
        last4: pm.card?.last4 ?? null,
        expMonth: pm.card?.exp_month ?? null,
        expYear: pm.card?.exp_year ?? null,
      };
    },

    /** Refunds (part of) a PaymentIntent; the same idempotency key finds the same refund again. */
    async refund(
      secretKey: string,
      p: { paymentIntent: string; amount: bigint; idempotencyKey: string },
    ): Promise<{ id: string; status: string }> {
      const refund = await guarded(() =>
        clientFor(secretKey).refunds.create(
          { payment_intent: p.paymentIntent, amount: Number(p.amount) },
          { idempotencyKey: p.idempotencyKey },
        ),
      );
      return { id: refund.id, status: refund.status ?? 'pending' };
    },

    /**
     * Verifies a webhook with the library on the raw bytes (any `v1` signature may match, which is what
     * lets a secret rotate) and refuses timestamps more than 5 minutes away in EITHER direction.
     */
    verifyEvent(
      raw: Buffer,
      header: string,
      secret: string,
      nowSec = Math.floor(Date.now() / 1000),
    ): Stripe.Event {
      const t = /(?:^|,)t=(\d+)/.exec(header)?.[1];
      if (!t || Math.abs(nowSec - Number(t)) > WEBHOOK_TOLERANCE_SEC)
        throw new ValidationError(
          'billing.webhook_stale',
          'the Stripe-Signature timestamp is missing or too far from now',
          {
            fieldErrors: [{ field: 'Stripe-Signature', message: 'timestamp outside the 5-minute tolerance' }],
          },
        );
      try {
        return stripeSdk().webhooks.constructEvent(
          raw,
          header,
          secret,
          WEBHOOK_TOLERANCE_SEC,
          undefined,
          nowSec * 1000,
        );
      } catch {
        throw new ValidationError(
          'billing.webhook_signature',
          'the Stripe-Signature does not match the body',
          {
            fieldErrors: [{ field: 'Stripe-Signature', message: 'no signature matches' }],
          },
        );
      }
    },

    breaker,
    shutdown: () => breaker.shutdown(),
  };
}

export type StripeClient = ReturnType<typeof createStripeClient>;
