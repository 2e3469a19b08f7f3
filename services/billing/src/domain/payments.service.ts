import { type CreditBalanceView, type PaymentResult } from '@geminis/contracts';
import {
  newId,
  tenantScope,
  type AuthContext,
  type Database,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { findClient, lockClient } from '../store/clients.store';
import { findInvoice, type Invoice } from '../store/invoices.store';
import { creditBalances, insertCreditEntry, listPayments } from '../store/payments.store';
import { staffTenantOf, viewerOf, type Viewer } from './context';
import { clientNotFound, insufficientCredit, invoiceNotFound } from './errors';
import { type Answer, type Complete, type Idempotent } from './idempotency.service';
import { applyPayment, type PaymentToApply } from './invoice-payment';
import { type ApplyCreditInput, type CreditDepositInput, type PaymentInput } from './inputs';
import { toJsonMinor } from './money';
import { type Settlement } from './settlement.service';
import { invoiceView, paymentView } from './views';

export function createPaymentsService(deps: {
  db: Database;
  idempotent: Idempotent;
  settlement: Settlement;
}) {
  const { db, idempotent, settlement } = deps;

  /** The invoice as the caller may see it (404 otherwise, the same as a missing one). */
  async function visibleInvoice(v: Viewer, id: string): Promise<Invoice> {
    const invoice = await db.withTenant(v.scope, (tx) => findInvoice(tx, v.scope, id, v.clientId));
    if (!invoice) throw invoiceNotFound();
    return invoice;
  }

  async function pay(
    tx: Tx,
    scope: TenantScope,
    invoiceId: string,
    p: PaymentToApply,
    complete: Complete,
    clientId?: string,
  ): Promise<PaymentResult> {
    const { payment, invoice } = await applyPayment(tx, scope, settlement, invoiceId, p, clientId);
    const body = { payment: paymentView(payment), invoice: invoiceView(invoice) };
    await complete(tx, { status: 201, body });
    return body;
  }

  return {
    /** Staff record a manual or bank-transfer payment (full or partial; never more than the balance). */
    async record(
      auth: AuthContext,
      invoiceId: string,
      input: PaymentInput,
      key: string | undefined,
      tenantId?: string,
    ): Promise<Answer<PaymentResult> & { replayed: boolean }> {
      // A viewer of one tenant pays in that tenant: the invoice is found (or 404) as the payment locks it,
      // no transaction before. An admin across tenants looks up whose invoice it is first.
      const v = viewerOf(auth, tenantId);
      const owner =
        v.scope.kind === 'tenant' ? v.scope.tenantId : (await visibleInvoice(v, invoiceId)).tenantId;
      const scope = tenantScope(owner);
      return idempotent<PaymentResult>(
        {
          tenantId: owner,
          callerId: auth.userId,
          key,
          fingerprint: ['POST /v1/invoices/:id/payments', invoiceId, input],
        },
        async (complete) => ({
          status: 201,
          body: await db.withTenant(scope, (tx) =>
            pay(
              tx,
              scope,
              invoiceId,
              {
                amount: BigInt(input.amount),
                method: input.method,
                reference: input.reference ?? null,
                by: auth.userId,
              },
              complete,
              v.clientId,
            ),
          ),
        }),
      );
    },

    /**
     * Pays an invoice from the client's account credit (the client itself, or staff): the client's row is
     * locked first, so concurrent spends of one balance never overdraw it.
     */
    async applyCredit(
      auth: AuthContext,
      invoiceId: string,
      input: ApplyCreditInput,
      key: string | undefined,
      tenantId?: string,
    ): Promise<Answer<PaymentResult> & { replayed: boolean }> {
      const invoice = await visibleInvoice(viewerOf(auth, tenantId), invoiceId);
      const scope = tenantScope(invoice.tenantId);
      return idempotent<PaymentResult>(
        {
          tenantId: invoice.tenantId,
          callerId: auth.userId,
          key,
          fingerprint: ['POST /v1/invoices/:id/apply-credit', invoiceId, input],
        },
        async (complete) => ({
          status: 201,
          body: await db.withTenant(scope, async (tx) => {
            await lockClient(tx, scope, invoice.clientId);
            const available =
              (await creditBalances(tx, scope, invoice.clientId)).find((b) => b.currency === invoice.currency)
                ?.amount ?? 0n;
            const locked = (await findInvoice(tx, scope, invoiceId, undefined, true))!;
            const balance = locked.total - locked.amountPaid;
            const amount =
              input.amount !== undefined ? BigInt(input.amount) : available < balance ? available : balance;
            if (amount > available || amount <= 0n) throw insufficientCredit(available);
            return pay(
              tx,
              scope,
              invoiceId,
              { amount, method: 'credit', reference: null, by: auth.userId },
              complete,
            );
          }),
        }),
      );
    },

    async payments(auth: AuthContext, invoiceId: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const invoice = await visibleInvoice(v, invoiceId);
      const scope = tenantScope(invoice.tenantId);
      return db.withTenant(scope, (tx) => listPayments(tx, scope, invoiceId));
    },

    /** Staff add account credit to a client of their tenant (a deposit entry in the ledger). */
    async deposit(
      auth: AuthContext,
      clientId: string,
      input: CreditDepositInput,
      key: string | undefined,
      tenantId?: string,
    ): Promise<Answer<CreditBalanceView> & { replayed: boolean }> {
      const owner = staffTenantOf(auth, tenantId);
      const scope = tenantScope(owner);
      return idempotent<CreditBalanceView>(
        {
          tenantId: owner,
          callerId: auth.userId,
          key,
          fingerprint: ['POST /v1/clients/:id/credit', clientId, input],
        },
        async (complete) => {
          const body = await db.withTenant(scope, async (tx) => {
            if (!(await lockClient(tx, scope, clientId))) throw clientNotFound();
            await insertCreditEntry(tx, scope, {
              id: newId(),
              clientId,
              currency: input.currency,
              amount: BigInt(input.amount),
              kind: 'deposit',
              description: input.description,
              createdBy: auth.userId,
            });
            const view = balanceView(clientId, await creditBalances(tx, scope, clientId));
            await complete(tx, { status: 201, body: view });
            return view;
          });
          return { status: 201, body };
        },
      );
    },

    /** A client's credit: the client itself, or staff of its tenant. */
    async balance(auth: AuthContext, clientId: string, tenantId?: string): Promise<CreditBalanceView> {
      const v = viewerOf(auth, tenantId);
      if (v.clientId !== undefined && v.clientId !== clientId) throw clientNotFound();
      return db.withTenant(v.scope, async (tx) => {
        const client = await findClient(tx, v.scope, clientId);
        if (!client) throw clientNotFound();
        return balanceView(clientId, await creditBalances(tx, tenantScope(client.tenantId), clientId));
      });
    },
  };
}

const balanceView = (
  clientId: string,
  balances: { currency: string; amount: bigint }[],
): CreditBalanceView => ({
  clientId,
  balances: balances.map((b) => ({ currency: b.currency, amount: toJsonMinor(b.amount) })),
});

export type PaymentsService = ReturnType<typeof createPaymentsService>;
