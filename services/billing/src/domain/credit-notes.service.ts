import {
  CreditNoteIssued,
  PaymentRefunded,
  type CreditNoteResult,
  type CreditNoteView,
} from '@geminis/contracts';
import { newId, tenantScope, type AuthContext, type Database, type Outbox } from '@geminis/service-kit';
import {
  creditedOn,
  insertCreditNote,
  listCreditNotes,
  markRefunded,
  type CreditNote,
} from '../store/credit-notes.store';
import { findInvoice } from '../store/invoices.store';
import { insertCreditEntry } from '../store/payments.store';
import { cardPaymentsOf, findRefund, insertRefund, type RefundStatus } from '../store/refunds.store';
import { getSettings, nextNumber } from '../store/settings.store';
import { viewerOf } from './context';
import { creditOverPaid, invoiceNotCreditable, invoiceNotFound, refundOverCard } from './errors';
import { type Answer, type Idempotent } from './idempotency.service';
import { type CreditNoteInput } from './inputs';
import { toJsonMinor } from './money';
import { formatNumber } from './order-plan';
import { type StripeRefunds } from './stripe-refunds.service';
import { invoiceView } from './views';

export const creditNoteView = (
  n: CreditNote,
  refund: { status: RefundStatus; refundId: string | null } | null,
): CreditNoteView => ({
  id: n.id,
  invoiceId: n.invoiceId,
  clientId: n.clientId,
  number: n.number,
  currency: n.currency,
  amount: toJsonMinor(n.amount),
  reason: n.reason,
  refundTo: n.refundTo,
  refund,
  createdAt: n.createdAt,
});

/**
 * Credit notes against a paid invoice (staff): never more than was paid and not yet credited (checked under
 * the invoice's row lock), numbered in their own gapless series in the same transaction, refunded to the
 * client's account credit; an invoice credited in full becomes 'refunded'.
 */
export function createCreditNotesService(deps: {
  db: Database;
  outbox: Outbox;
  idempotent: Idempotent;
  refunds: StripeRefunds;
  now?: () => Date;
}) {
  const { db, outbox, idempotent, refunds } = deps;
  const now = deps.now ?? (() => new Date());
  return {
    async issue(
      auth: AuthContext,
      invoiceId: string,
      input: CreditNoteInput,
      key: string | undefined,
      tenantId?: string,
    ): Promise<Answer<CreditNoteResult> & { replayed: boolean }> {
      const v = viewerOf(auth, tenantId);
      const visible = await db.withTenant(v.scope, (tx) => findInvoice(tx, v.scope, invoiceId, v.clientId));
      if (!visible) throw invoiceNotFound();
      const scope = tenantScope(visible.tenantId);
      return idempotent<CreditNoteResult>(
        {
          tenantId: visible.tenantId,
          callerId: auth.userId,
          key,
          fingerprint: ['POST /v1/invoices/:id/credit-notes', invoiceId, input],
        },
        async (complete) => {
          const body = await db.withTenant(scope, async (tx) => {
            const invoice = (await findInvoice(tx, scope, invoiceId, undefined, true))!;
            if (invoice.status !== 'paid') throw invoiceNotCreditable(invoice.status);
            const left = invoice.amountPaid - (await creditedOn(tx, scope, invoiceId));
            const amount = input.amount !== undefined ? BigInt(input.amount) : left;
            if (amount > left || amount <= 0n) throw creditOverPaid(left);
            // back to a card: one card payment of this invoice must still hold the whole amount
            const card =
              input.refundTo === 'stripe'
                ? (await cardPaymentsOf(tx, scope, invoiceId)).find((p) => p.amount - p.refunded >= amount)
                : undefined;
            if (input.refundTo === 'stripe' && !card) {
              const most = (await cardPaymentsOf(tx, scope, invoiceId)).reduce(
                (m, p) => (p.amount - p.refunded > m ? p.amount - p.refunded : m),
                0n,
              );
              throw refundOverCard(most);
            }
            const settings = await getSettings(tx, invoice.tenantId);
            const year = now().getUTCFullYear();
            const n = await nextNumber(
              tx,
              invoice.tenantId,
              'credit_note',
              settings.invoiceYearlyReset ? year : 0,
            );
            const id = newId();
            const note = await insertCreditNote(tx, scope, {
              id,
              invoiceId,
              clientId: invoice.clientId,
              number: formatNumber({ ...settings, invoicePrefix: 'CN-' }, year, n),
              currency: invoice.currency,
              amount,
              reason: input.reason,
              refundTo: input.refundTo,
              createdBy: auth.userId,
            });
            if (card)
              await insertRefund(tx, scope, {
                creditNoteId: id,
                invoiceId,
                paymentIntent: card.paymentIntent,
                amount,
                currency: invoice.currency,
              });
            else
              await insertCreditEntry(tx, scope, {
                id: newId(),
                clientId: invoice.clientId,
                currency: invoice.currency,
                amount,
                kind: 'deposit',
                invoiceId,
                description: `credit note ${note.number}`,
                createdBy: auth.userId,
              });
            // published with the note: the note, and for account credit the refund (it is done here)
            const issued = await outbox.enqueue(tx, {
              type: CreditNoteIssued.type,
              tenantId: invoice.tenantId,
              data: {
                creditNoteId: id,
                number: note.number,
                invoiceId,
                invoiceNumber: invoice.number!,
                clientId: invoice.clientId,
                currency: invoice.currency,
                amount: toJsonMinor(amount),
                reason: note.reason,
                refundTo: note.refundTo,
              },
            });
            if (!card)
              await outbox.enqueue(tx, {
                type: PaymentRefunded.type,
                tenantId: invoice.tenantId,
                correlationId: issued.correlationId,
                causationId: issued.id,
                data: {
                  creditNoteId: id,
                  invoiceId,
                  clientId: invoice.clientId,
                  currency: invoice.currency,
                  amount: toJsonMinor(amount),
                  refundTo: 'credit',
                  refundedAt: note.createdAt,
                },
              });
            if (amount === left) await markRefunded(tx, scope, invoiceId);
            const after = (await findInvoice(tx, scope, invoiceId))!;
            const refund = card ? { status: 'pending' as const, refundId: null } : null;
            const result = { creditNote: creditNoteView(note, refund), invoice: invoiceView(after) };
            await complete(tx, { status: 201, body: result });
            return result;
          });
          // after the commit: the card refund (its outcome shows on the credit note; the job retries it)
          if (body.creditNote.refund) await refunds.request(visible.tenantId, body.creditNote.id);
          return { status: 201, body };
        },
      );
    },

    async list(auth: AuthContext, invoiceId: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const invoice = await db.withTenant(v.scope, (tx) => findInvoice(tx, v.scope, invoiceId, v.clientId));
      if (!invoice) throw invoiceNotFound();
      const scope = tenantScope(invoice.tenantId);
      return db.withTenant(scope, async (tx) => {
        const notes = await listCreditNotes(tx, scope, invoiceId);
        return Promise.all(
          notes.map(async (n) => {
            const r = n.refundTo === 'stripe' ? await findRefund(tx, scope, n.id) : null;
            return creditNoteView(n, r ? { status: r.status, refundId: r.refundId } : null);
          }),
        );
      });
    },
  };
}

export type CreditNotesService = ReturnType<typeof createCreditNotesService>;
