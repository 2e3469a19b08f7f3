import { type StripeGatewayView, type StripePaymentIntentView, type WebhookAck } from '@geminis/contracts';
import {
  newId,
  tenantScope,
  ValidationError,
  type AuthContext,
  type Database,
  type KitLogger,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import type Stripe from 'stripe';
import {
  claimStripeEvent,
  findAttempt,
  findStripeGateway,
  recordAttempt,
  saveStripeGateway,
  setAttemptStatus,
} from '../store/gateways.store';
import { findInvoice } from '../store/invoices.store';
import { insertCreditEntry } from '../store/payments.store';
import { type StripeClient } from '../upstream/stripe.client';
import { staffTenantOf, viewerOf } from './context';
import {
  gatewayNotConfigured,
  invoiceNotFound,
  invoiceNotPayable,
  stripeAmountUnsupported,
  webhookNotFound,
} from './errors';
import { type Answer, type Idempotent } from './idempotency.service';
import { type StripeGatewayInput } from './inputs';
import { applyPayment, SYSTEM_ACTOR } from './invoice-payment';
import { hasThreeDecimals, toJsonMinor } from './money';
import { type Sealer } from './secrets';
import { type Settlement } from './settlement.service';

const hintOf = (key: string) => `${key.slice(0, key.indexOf('_', 3) + 1)}…${key.slice(-4)}`;

/**
 * Card payments through each tenant's own Stripe account: the credentials are sealed at rest and never
 * resolve across tenants; a PaymentIntent is created with a Stripe idempotency key derived from the
 * invoice and what it still owes; an invoice is paid only when Stripe's signed event says so, each event
 * applied once (its id claimed in the same transaction as its effect).
 */
export function createStripeService(deps: {
  db: Database;
  stripe: StripeClient;
  sealer: Sealer;
  idempotent: Idempotent;
  settlement: Settlement;
  logger: KitLogger;
}) {
  const { db, stripe, sealer, idempotent, settlement, logger } = deps;

  const view = (tenantId: string, g: Awaited<ReturnType<typeof findStripeGateway>>): StripeGatewayView => ({
    tenantId,
    provider: 'stripe',
    configured: g !== null,
    publishableKey: g?.publishableKey ?? null,
    secretKeyHint: g?.secretKeyHint ?? null,
  });

  async function succeeded(
    tx: Tx,
    scope: TenantScope,
    intent: Pick<Stripe.PaymentIntent, 'id' | 'amount_received' | 'currency'>,
  ) {
    const attempt = await findAttempt(tx, scope, intent.id);
    if (!attempt) {
      logger.warn(
        { paymentIntentId: intent.id },
        'a PaymentIntent billing did not create succeeded; ignored',
      );
      return;
    }
    const received = BigInt(intent.amount_received);
    const currency = intent.currency.toUpperCase();
    const invoice = (await findInvoice(tx, scope, attempt.invoiceId, undefined, true))!;
    const payable = invoice.status === 'unpaid' || invoice.status === 'partially_paid';
    const balance = payable && currency === invoice.currency ? invoice.total - invoice.amountPaid : 0n;
    const paid = received < balance ? received : balance;
    if (paid > 0n)
      await applyPayment(tx, scope, settlement, invoice.id, {
        amount: paid,
        method: 'stripe',
        reference: intent.id,
        by: SYSTEM_ACTOR,
      });
    // Money Stripe took beyond what the invoice owed (paid meanwhile, or paid twice) becomes account credit.
    if (received > paid)
      await insertCreditEntry(tx, scope, {
        id: newId(),
        clientId: invoice.clientId,
        currency,
        amount: received - paid,
        kind: 'deposit',
        invoiceId: invoice.id,
        description: `overpayment by Stripe ${intent.id}`,
        createdBy: SYSTEM_ACTOR,
      });
    await setAttemptStatus(tx, scope, intent.id, 'succeeded');
  }

  return {
    /** A PaymentIntent of an attempt billing recorded succeeded: the invoice is paid (once per intent). */
    succeeded,

    async gateway(auth: AuthContext, tenantId?: string): Promise<StripeGatewayView> {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      return view(owner, await db.withTenant(scope, (tx) => findStripeGateway(tx, scope)));
    },

    async configure(
      auth: AuthContext,
      input: StripeGatewayInput,
      tenantId?: string,
    ): Promise<StripeGatewayView> {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      return db.withTenant(scope, async (tx) => {
        await saveStripeGateway(tx, scope, {
          secretKeyEnc: sealer.seal(owner, input.secretKey),
          webhookSecretEnc: sealer.seal(owner, input.webhookSecret),
          secretKeyHint: hintOf(input.secretKey),
          publishableKey: input.publishableKey ?? null,
        });
        return view(owner, await findStripeGateway(tx, scope));
      });
    },

    /** A PaymentIntent for what the invoice still owes (the client itself, or staff). Idempotency-Key honoured. */
    async createIntent(
      auth: AuthContext,
      invoiceId: string,
      key: string | undefined,
      tenantId?: string,
    ): Promise<Answer<StripePaymentIntentView> & { replayed: boolean }> {
      const v = viewerOf(auth, tenantId);
      const invoice = await db.withTenant(v.scope, (tx) => findInvoice(tx, v.scope, invoiceId, v.clientId));
      if (!invoice) throw invoiceNotFound();
      const scope = tenantScope(invoice.tenantId);
      return idempotent<StripePaymentIntentView>(
        {
          tenantId: invoice.tenantId,
          callerId: auth.userId,
          key,
          fingerprint: ['POST stripe-payment-intent', invoiceId],
        },
        async () => {
          const current = (await db.withTenant(scope, (tx) => findInvoice(tx, scope, invoiceId)))!;
          if (current.status !== 'unpaid' && current.status !== 'partially_paid')
            throw invoiceNotPayable(current.status);
          const gateway = await db.withTenant(scope, (tx) => findStripeGateway(tx, scope));
          if (!gateway) throw gatewayNotConfigured();
          const amount = current.total - current.amountPaid;
          if (hasThreeDecimals(current.currency) && amount % 10n !== 0n)
            throw stripeAmountUnsupported(amount, current.currency);
          const intent = await stripe.createPaymentIntent(
            sealer.open(invoice.tenantId, gateway.secretKeyEnc),
            {
              amount,
              currency: current.currency,
              metadata: { tenantId: invoice.tenantId, invoiceId, invoiceNumber: current.number ?? '' },
              // What the invoice still owes names the attempt: a retry (same state) finds the same intent.
              idempotencyKey: `geminis-invoice-${invoiceId}-${current.amountPaid.toString()}`,
            },
          );
          await db.withTenant(scope, (tx) =>
            recordAttempt(tx, scope, { ref: intent.id, invoiceId, amount, currency: current.currency }),
          );
          return {
            status: 201,
            body: {
              invoiceId,
              paymentIntentId: intent.id,
              clientSecret: intent.clientSecret,
              status: intent.status,
              amount: toJsonMinor(amount),
              currency: current.currency,
              publishableKey: gateway.publishableKey,
            },
          };
        },
      );
    },

    /** A Stripe webhook for a tenant: verified on the raw bytes with the tenant's secret, applied once. */
    async webhook(tenantId: string, raw: unknown, header: string | undefined): Promise<WebhookAck> {
      const scope = tenantScope(tenantId);
      const gateway = await db.withTenant(scope, (tx) => findStripeGateway(tx, scope));
      if (!gateway) throw webhookNotFound();
      if (!header)
        throw new ValidationError('billing.webhook_signature', 'the Stripe-Signature header is missing', {
          fieldErrors: [{ field: 'Stripe-Signature', message: 'required' }],
        });
      if (!Buffer.isBuffer(raw))
        throw new ValidationError('billing.webhook_signature', 'the webhook body must arrive as raw bytes');
      const event = stripe.verifyEvent(raw, header, sealer.open(tenantId, gateway.webhookSecretEnc));
      return db.withTenant(scope, async (tx) => {
        if (!(await claimStripeEvent(tx, scope, event.id, event.type)))
          return { received: true, duplicate: true };
        if (event.type === 'payment_intent.succeeded') await succeeded(tx, scope, event.data.object);
        if (event.type === 'payment_intent.payment_failed')
          await setAttemptStatus(tx, scope, event.data.object.id, 'failed');
        return { received: true, duplicate: false };
      });
    },
  };
}

export type StripeService = ReturnType<typeof createStripeService>;
