import { PaymentRefunded } from '@geminis/contracts';
import {
  allTenants,
  AppError,
  tenantScope,
  type Database,
  type KitLogger,
  type Outbox,
} from '@geminis/service-kit';
import { findStripeGateway } from '../store/gateways.store';
import { findRefund, pendingRefunds, settleRefund, type RefundStatus } from '../store/refunds.store';
import { type StripeClient } from '../upstream/stripe.client';
import { toJsonMinor } from './money';
import { type Sealer } from './secrets';

const outcomeOf = (stripeStatus: string): RefundStatus =>
  stripeStatus === 'succeeded'
    ? 'succeeded'
    : stripeStatus === 'failed' || stripeStatus === 'canceled'
      ? 'failed'
      : 'pending';

/**
 * Card refunds of credit notes: asked of Stripe after the credit note committed, always with the key
 * `geminis-credit-note-<id>`, so asking again (after a timeout, a crash, or from the retry job) finds the
 * same refund instead of making a second one. A refusal by Stripe is recorded as failed for staff to see.
 */
export function createStripeRefunds(deps: {
  db: Database;
  outbox: Outbox;
  stripe: StripeClient;
  sealer: Sealer;
  logger: KitLogger;
}) {
  const { db, outbox, stripe, sealer, logger } = deps;

  async function request(tenantId: string, creditNoteId: string): Promise<RefundStatus | null> {
    const scope = tenantScope(tenantId);
    const [refund, gateway] = await db.withTenant(
      scope,
      async (tx) => [await findRefund(tx, scope, creditNoteId), await findStripeGateway(tx, scope)] as const,
    );
    if (!refund || refund.status !== 'pending') return refund?.status ?? null;
    let outcome: { status: RefundStatus; refundId?: string; error?: string };
    try {
      if (!gateway) throw new Error('the tenant has no Stripe account any more');
      const r = await stripe.refund(sealer.open(tenantId, gateway.secretKeyEnc), {
        paymentIntent: refund.paymentIntent,
        amount: refund.amount,
        idempotencyKey: `geminis-credit-note-${creditNoteId}`,
      });
      outcome = { status: outcomeOf(r.status), refundId: r.id };
    } catch (err) {
      const refused = err instanceof AppError && err.status < 500;
      logger.warn(
        { creditNoteId, err },
        refused ? 'Stripe refused a refund' : 'refund not confirmed yet; will retry',
      );
      outcome = { status: refused ? 'failed' : 'pending', error: (err as Error).message };
    }
    // The refund settles once (only a pending one moves); a succeeded one is published in that transaction.
    await db.withTenant(scope, async (tx) => {
      const settled = await settleRefund(tx, scope, creditNoteId, outcome);
      if (settled?.status !== 'succeeded') return;
      await outbox.enqueue(tx, {
        type: PaymentRefunded.type,
        tenantId,
        data: {
          creditNoteId,
          invoiceId: settled.invoiceId,
          clientId: settled.clientId,
          currency: settled.currency,
          amount: toJsonMinor(settled.amount),
          refundTo: 'stripe',
          ...(settled.refundId ? { refundId: settled.refundId } : {}),
          paymentIntent: settled.paymentIntent,
          refundedAt: settled.updatedAt,
        },
      });
    });
    return outcome.status;
  }

  return {
    request,
    /** The retry job: asks again for every refund Stripe has not confirmed. Returns how many settled. */
    async retryPending(): Promise<number> {
      const due = await db.withTenant(allTenants, (tx) => pendingRefunds(tx, allTenants));
      let settled = 0;
      for (const r of due) if ((await request(r.tenantId, r.creditNoteId)) !== 'pending') settled += 1;
      return settled;
    },
  };
}

export type StripeRefunds = ReturnType<typeof createStripeRefunds>;
