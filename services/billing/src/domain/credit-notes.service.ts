import {
  CreditNoteIssued,
  PaymentRefunded,
  type CreditNoteResult,
  type CreditNoteView,
} from '@geminis/contracts';
import {
  newId,
  tenantScope,
  type AuthContext,
  type Database,
  type Outbox,
  type Tx,
} from '@geminis/service-kit';
import {
  creditedOn,
  insertCreditNote,
  listCreditNotes,
  markRefunded,
  type CreditNote,
} from '../store/credit-notes.store';
import { findInvoice, type Invoice } from '../store/invoices.store';
import { insertCreditEntry } from '../store/payments.store';
import { cardPaymentsOf, findRefund, insertRefund, type RefundStatus } from '../store/refunds.store';
import { getSettings, nextNumber } from '../store/settings.store';
import { viewerOf } from './context';
import { creditOverPaid, invoiceNotCreditable, invoiceNotFound, refundOverCard } from './errors';
import { type Answer, type Idempotent } from './idempotency.service';
import { type CreditNoteInput } from './inputs';
import { toJsonMinor, type Minor } from './money';
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
 * A credit note against an invoice, numbered in its tenant's gapless credit-note series (`CN-`, the tenant's
 * padding and yearly reset) in the caller's transaction. The caller checks the amount and settles it.
 */
export async function numberedCreditNote(
  tx: Tx,
  invoice: Invoice,
  n: { amount: Minor; reason: string; refundTo: CreditNote['refundTo']; by: string; at: Date },
): Promise<CreditNote> {
  const settings = await getSettings(tx, invoice.tenantId);
  const year = n.at.getUTCFullYear();
  const seq = await nextNumber(tx, invoice.tenantId, 'credit_note', settings.invoiceYearlyReset ? year : 0);
  return insertCreditNote(tx, tenantScope(invoice.tenantId), {
    id: newId(),
    invoiceId: invoice.id,
    clientId: invoice.clientId,
    number: formatNumber({ ...settings, invoicePrefix: 'CN-' }, year, seq),
    currency: invoice.currency,
    amount: n.amount,
    reason: n.reason,
    refundTo: n.refundTo,
    createdBy: n.by,
  });
}

/** A credit note refunded to the client's account credit: the deposit in its ledger. */
export async function depositCreditNote(tx: Tx, note: CreditNote, by: string): Promise<void> {
  await insertCreditEntry(tx, tenantScope(note.tenantId), {
    id: newId(),
    clientId: note.clientId,
    currency: note.currency,
    amount: note.amount,
    kind: 'deposit',
    invoiceId: note.invoiceId,
    description: `credit note ${note.number}`,
    createdBy: by,
  });
}

/**
 * billing.credit_note.issued.v1 for the note and, when it went to account credit (done at once),
 * billing.payment.refunded.v1 — in the caller's transaction.
 */
export async function announceCreditNote(
  tx: Tx,
  outbox: Outbox,
  note: CreditNote,
  invoice: Invoice,
  toAccount: boolean,
): Promise<void> {
  const issued = await outbox.enqueue(tx, {
    type: CreditNoteIssued.type,
    tenantId: invoice.tenantId,
    data: {
      creditNoteId: note.id,
      number: note.number,
      invoiceId: invoice.id,
      invoiceNumber: invoice.number!,
      clientId: invoice.clientId,
      currency: invoice.currency,
      amount: toJsonMinor(note.amount),
      reason: note.reason,
      refundTo: note.refundTo,
    },
  });
  if (toAccount)
    await outbox.enqueue(tx, {
      type: PaymentRefunded.type,
      tenantId: invoice.tenantId,
      correlationId: issued.correlationId,
      causationId: issued.id,
      data: {
        creditNoteId: note.id,
        invoiceId: invoice.id,
        clientId: invoice.clientId,
        currency: invoice.currency,
        amount: toJsonMinor(note.amount),
        refundTo: 'credit',
        refundedAt: note.createdAt,
      },
    });
}

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
            const note = await numberedCreditNote(tx, invoice, {
              amount,
              reason: input.reason,
              refundTo: input.refundTo,
              by: auth.userId,
              at: now(),
            });
            if (card)
              await insertRefund(tx, scope, {
                creditNoteId: note.id,
                invoiceId,
                paymentIntent: card.paymentIntent,
                amount,
                currency: invoice.currency,
              });
            else await depositCreditNote(tx, note, auth.userId);
            await announceCreditNote(tx, outbox, note, invoice, !card);
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
