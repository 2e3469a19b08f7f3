import { InvoiceAutoChargeFailed } from '@geminis/contracts';
import {
  allTenants,
  tenantScope,
  type AuthContext,
  type Database,
  type KitLogger,
  type Outbox,
} from '@geminis/service-kit';
import {
  claimAutoCharges,
  deletePaymentMethod,
  findPaymentMethod,
  nextAttemptOn,
  openAttempts,
  savePaymentMethod,
  settleAttempt,
  type OpenAttempt,
  type SavedPaymentMethod,
} from '../store/auto-charge.store';
import { findClient } from '../store/clients.store';
import { findStripeGateway, recordAttempt } from '../store/gateways.store';
import { findInvoice } from '../store/invoices.store';
import { type StripeClient } from '../upstream/stripe.client';
import { viewerOf } from './context';
import { dateOf } from './cycles';
import { clientNotFound, gatewayNotConfigured, invalidField, paymentMethodNotFound } from './errors';
import { type PaymentMethodInput } from './inputs';
import { hasThreeDecimals, toJsonMinor } from './money';
import { type Sealer } from './secrets';
import { type StripeService } from './stripe.service';

/** The Stripe idempotency key of one attempt: a retry of the same attempt finds Stripe's first answer. */
export const autoChargeKey = (invoiceId: string, attempt: number) =>
  `geminis-autocharge-${invoiceId}-${attempt}`;

/**
 * Automatic charges of a client's saved Stripe payment method: the client (or staff of its tenant) saves
 * the method by reference (Stripe checks it is the customer's card); a job claims the due attempts
 * set-based, then charges each off-session with its own idempotency key. Succeeded → the invoice is paid
 * in the same transaction as the attempt's answer; declined → `billing.invoice.auto_charge_failed.v1` and
 * the next attempt waits for the tenant's schedule; no answer → retried next run with the same key.
 */
export function createAutoCharge(deps: {
  db: Database;
  outbox: Outbox;
  stripe: StripeClient;
  stripeService: StripeService;
  sealer: Sealer;
  logger: KitLogger;
  now?: () => Date;
  batchSize?: number;
}) {
  const { db, outbox, stripe, stripeService, sealer, logger } = deps;
  const now = deps.now ?? (() => new Date());
  const batchSize = deps.batchSize ?? 200;

  /** The client as the caller may see it (a client itself; staff of its tenant; an admin naming one). */
  async function visibleClient(auth: AuthContext, clientId: string, tenantId?: string) {
    const v = viewerOf(auth, tenantId);
    if (v.clientId !== undefined && v.clientId !== clientId) throw clientNotFound();
    const client = await db.withTenant(v.scope, (tx) => findClient(tx, v.scope, clientId));
    if (!client) throw clientNotFound();
    return client;
  }

  async function charge(a: OpenAttempt): Promise<'succeeded' | 'declined' | 'unknown' | 'skipped'> {
    const scope = tenantScope(a.tenantId);
    const ready = await db.withTenant(scope, async (tx) => {
      const invoice = await findInvoice(tx, scope, a.invoiceId);
      const payable = invoice && (invoice.status === 'unpaid' || invoice.status === 'partially_paid');
      const method = invoice ? await findPaymentMethod(tx, scope, invoice.clientId) : null;
      const gateway = await findStripeGateway(tx, scope);
      if (!invoice || !payable || !method || !gateway || a.amount > invoice.total - invoice.amountPaid) {
        await settleAttempt(tx, scope, a, {
          status: 'skipped',
          message: !payable ? 'invoice no longer open' : 'no saved method, gateway or amount owed',
        });
        return null;
      }
      if (hasThreeDecimals(a.currency) && a.amount % 10n !== 0n) {
        await settleAttempt(tx, scope, a, { status: 'skipped', message: 'amount Stripe cannot charge' });
        return null;
      }
      return { invoice, method, secretKey: sealer.open(a.tenantId, gateway.secretKeyEnc) };
    });
    if (!ready) return 'skipped';
    const { invoice, method, secretKey } = ready;
    let answer;
    try {
      answer = await stripe.chargeOffSession(secretKey, {
        amount: a.amount,
        currency: a.currency,
        customer: method.customerRef,
        paymentMethod: method.paymentMethodRef,
        metadata: {
          tenantId: a.tenantId,
          invoiceId: a.invoiceId,
          invoiceNumber: invoice.number ?? '',
          attempt: String(a.attempt),
        },
        idempotencyKey: autoChargeKey(a.invoiceId, a.attempt),
      });
    } catch (err) {
      // Stripe may have charged: the attempt stays open and the next run asks again with the same key.
      logger.warn({ err, invoiceId: a.invoiceId, attempt: a.attempt }, 'automatic charge outcome unknown');
      await db.withTenant(scope, (tx) => settleAttempt(tx, scope, a, { status: 'unknown' }));
      return 'unknown';
    }
    return db.withTenant(scope, async (tx) => {
      if (answer.outcome !== 'declined') {
        await recordAttempt(tx, scope, {
          ref: answer.paymentIntentId,
          invoiceId: a.invoiceId,
          amount: a.amount,
          currency: a.currency,
        });
        if (
          !(await settleAttempt(tx, scope, a, {
            status: answer.outcome,
            paymentIntentRef: answer.paymentIntentId,
          }))
        )
          return 'skipped';
        // processing: Stripe's payment_intent.succeeded webhook pays the invoice later (the attempt is known).
        if (answer.outcome === 'succeeded')
          await stripeService.succeeded(tx, scope, {
            id: answer.paymentIntentId,
            amount_received: answer.amountReceived,
            currency: answer.currency.toLowerCase(),
          });
        return 'succeeded';
      }
      const moved = await settleAttempt(tx, scope, a, {
        status: 'declined',
        paymentIntentRef: answer.paymentIntentId,
        errorCode: answer.code,
        declineCode: answer.declineCode,
        message: answer.message,
      });
      if (!moved) return 'skipped';
      await outbox.enqueue(tx, {
        type: InvoiceAutoChargeFailed.type,
        tenantId: a.tenantId,
        data: {
          invoiceId: a.invoiceId,
          number: invoice.number ?? a.invoiceId,
          clientId: invoice.clientId,
          currency: a.currency,
          amount: toJsonMinor(a.amount),
          attempt: a.attempt,
          code: answer.code.slice(0, 100),
          ...(answer.declineCode ? { declineCode: answer.declineCode.slice(0, 100) } : {}),
          reason: answer.message.slice(0, 500),
          nextAttemptOn: await nextAttemptOn(tx, scope, a.invoiceId, a.attempt),
        },
      });
      return 'declined';
    });
  }

  return {
    async getMethod(auth: AuthContext, clientId: string, tenantId?: string): Promise<SavedPaymentMethod> {
      const client = await visibleClient(auth, clientId, tenantId);
      const scope = tenantScope(client.tenantId);
      const m = await db.withTenant(scope, (tx) => findPaymentMethod(tx, scope, clientId));
      if (!m) throw paymentMethodNotFound();
      return m;
    },

    /**
     * Saves a client's Stripe payment method by reference, after asking the tenant's Stripe account that the
     * method exists, is a card and belongs to the named customer (a client cannot save someone else's card).
     */
    async saveMethod(
      auth: AuthContext,
      clientId: string,
      input: PaymentMethodInput,
      tenantId?: string,
    ): Promise<SavedPaymentMethod> {
      const client = await visibleClient(auth, clientId, tenantId);
      const scope = tenantScope(client.tenantId);
      const gateway = await db.withTenant(scope, (tx) => findStripeGateway(tx, scope));
      if (!gateway) throw gatewayNotConfigured();
      const card = await stripe
        .paymentMethod(sealer.open(client.tenantId, gateway.secretKeyEnc), input.paymentMethodId)
        .catch((err: unknown) => {
          if ((err as { code?: string }).code === 'billing.stripe_rejected')
            throw invalidField(
              'billing.payment_method_invalid',
              'paymentMethodId',
              'Stripe does not know it',
            );
          throw err;
        });
      if (card.customer !== input.customerId)
        throw invalidField(
          'billing.payment_method_invalid',
          'paymentMethodId',
          'not a payment method of this customer',
        );
      if (card.type !== 'card')
        throw invalidField('billing.payment_method_invalid', 'paymentMethodId', 'only cards are charged');
      return db.withTenant(scope, async (tx) => {
        await savePaymentMethod(tx, scope, {
          clientId,
          customerRef: input.customerId,
          paymentMethodRef: input.paymentMethodId,
          brand: card.brand,
          last4: card.last4,
          expMonth: card.expMonth,
          expYear: card.expYear,
        });
        return (await findPaymentMethod(tx, scope, clientId))!;
      });
    },

    async deleteMethod(auth: AuthContext, clientId: string, tenantId?: string): Promise<void> {
      const client = await visibleClient(auth, clientId, tenantId);
      const scope = tenantScope(client.tenantId);
      if (!(await db.withTenant(scope, (tx) => deletePaymentMethod(tx, scope, clientId))))
        throw paymentMethodNotFound();
    },

    /**
     * The job: claims today's attempts set-based (bounded batches), then charges the open ones. Returns
     * what happened, for the log.
     */
    async run() {
      const today = dateOf(now());
      let claimed = 0;
      for (;;) {
        const n = await db.withTenant(allTenants, (tx) => claimAutoCharges(tx, allTenants, today, batchSize));
        claimed += n;
        if (n < batchSize) break;
      }
      const done = { claimed, succeeded: 0, declined: 0, unknown: 0, skipped: 0 };
      const seen = new Set<string>();
      for (;;) {
        const open = (
          await db.withTenant(allTenants, (tx) => openAttempts(tx, allTenants, today, batchSize))
        ).filter((a) => !seen.has(`${a.invoiceId}:${a.attempt}`));
        if (open.length === 0) break;
        for (const a of open) {
          seen.add(`${a.invoiceId}:${a.attempt}`); // an unknown outcome waits for the next run
          done[await charge(a)] += 1;
        }
      }
      return done;
    },
  };
}

export type AutoCharge = ReturnType<typeof createAutoCharge>;
