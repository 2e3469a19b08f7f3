import { PLATFORM_TENANT_ID, type InvoiceView } from '@geminis/contracts';
import {
  allTenants,
  ForbiddenError,
  tenantScope,
  type AuthContext,
  type Database,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { findInvoice, settleFree, type Invoice } from '../store/invoices.store';
import { lockClient } from '../store/clients.store';
import { creditBalances } from '../store/payments.store';
import {
  chargeBatch,
  chargesOfInvoice,
  ensureResellerClients,
  getWholesalePolicy,
  invoiceChargesBatch,
  saveWholesalePolicy,
  wholesaleInvoiceIds,
  type WholesaleCharge,
  type WholesalePolicy,
} from '../store/wholesale.store';
import { liftPaidWholesaleSuspensions, suspendForUnpaidWholesale } from '../store/wholesale-dunning.store';
import { dateOf } from './cycles';
import { insufficientCredit, invalidField, invoiceNotFound } from './errors';
import { type Answer, type Idempotent } from './idempotency.service';
import { applyPayment } from './invoice-payment';
import { toJsonMinor } from './money';
import { type Settlement } from './settlement.service';
import { invoiceView, paymentView } from './views';

const PLATFORM = tenantScope(PLATFORM_TENANT_ID);

/**
 * A wholesale invoice as a reseller (or the platform's staff) sees it: the invoice and what it charged. A
 * credit (`kind: 'credit'`, a negative wholesale price) gives back the unused days of a charged period whose
 * service ended early: netted on its charge's line, or settled by the credit note it names. A change
 * (`kind: 'change'`) is the wholesale difference of a change of package for the rest of a charged period.
 */
export interface WholesaleInvoiceView extends InvoiceView {
  resellerId: string;
  charges: Array<{
    kind: 'charge' | 'credit' | 'change';
    serviceId: string;
    /** The platform's product; null for a domain. */
    productId: string | null;
    description: string;
    cycle: string;
    quantity: number;
    periodStart: string;
    periodEnd: string | null;
    wholesalePrice: number;
    wholesaleSetupFee: number;
    credit?: { endedOn: string; unusedDays: number; periodDays: number; creditNote: string | null };
    change?: {
      changedOn: string;
      unusedDays: number;
      periodDays: number;
      wholesaleFrom: number;
      wholesaleTo: number;
      creditNote: string | null;
    };
  }>;
}

const wholesaleView = (i: Invoice, charges: WholesaleCharge[]): WholesaleInvoiceView => ({
  ...invoiceView(i),
  resellerId: i.clientId,
  charges: charges.map((c) => ({
    kind: c.kind,
    serviceId: c.serviceId,
    productId: c.productId,
    description: c.description,
    cycle: c.cycle,
    quantity: c.quantity,
    periodStart: c.periodStart,
    periodEnd: c.periodEnd,
    wholesalePrice: toJsonMinor(c.price),
    wholesaleSetupFee: toJsonMinor(c.setupFee),
    ...(c.credit ? { credit: c.credit } : {}),
    ...(c.change
      ? {
          change: {
            ...c.change,
            wholesaleFrom: toJsonMinor(c.change.wholesaleFrom),
            wholesaleTo: toJsonMinor(c.change.wholesaleTo),
          },
        }
      : {}),
  })),
});

/** Whose wholesale invoices the caller may see: a reseller its own only, an admin all or the one it names. */
function resellerOf(auth: AuthContext, requested?: string): string | undefined {
  if (auth.role === 'reseller') return auth.tenantId;
  if (auth.role === 'admin') return requested;
  throw new ForbiddenError('auth.forbidden', 'staff only');
}

/**
 * The reseller wholesale economy: the platform bills each reseller, on one consolidated invoice per
 * currency per run in the platform's own series, the wholesale price of every active service it sells on a
 * platform product, for the same period as its client's. Set-based and idempotent per (service, period):
 * a rerun, a crash between the two phases or a concurrent run issues nothing twice.
 */
export function createWholesale(deps: {
  db: Database;
  settlement: Settlement;
  idempotent: Idempotent;
  now?: () => Date;
  batchSize?: number;
}) {
  const { db, settlement, idempotent } = deps;
  const now = deps.now ?? (() => new Date());
  const batchSize = deps.batchSize ?? 500;

  async function visible(auth: AuthContext, id: string): Promise<Invoice> {
    const reseller = resellerOf(auth);
    const invoice = await db.withTenant(PLATFORM, (tx) => findInvoice(tx, PLATFORM, id, reseller));
    if (!invoice || invoice.reason !== ('wholesale' as Invoice['reason'])) throw invoiceNotFound();
    return invoice;
  }

  return {
    /**
     * One run: (1) every resold service's current period charged once, in keyset batches over the reseller
     * tenants' active services; (2) the pending charges gathered onto one invoice per (reseller, currency),
     * in batches of resellers under a transaction-level lock; invoices of nothing settled at once; (3) the
     * platform's policy for unpaid wholesale invoices (reminders go with every invoice's dunning; with
     * 'suspend', the services of a reseller overdue past the platform's days are suspended).
     */
    async run(): Promise<{ charged: number; invoiced: number; suspended: number; unsuspended: number }> {
      const today = dateOf(now());
      let charged = 0;
      let after: string | null = null;
      for (;;) {
        const b = await db.withTenant(allTenants, async (tx) => {
          // shared with other runs' charge batches, exclusive with invoicing and with a resold service ending
          // early (wholesale-credits.ts): a service cancelled meanwhile is either charged before its credit
          // is worked out or seen cancelled here, never charged after its credit was (not) given
          await tx.execute(sql`select pg_advisory_xact_lock_shared(hashtext('billing.wholesale.invoice'))`);
          return chargeBatch(tx, allTenants, today, batchSize, after);
        });
        charged += b.charged;
        if (!b.more || !b.last) break;
        after = b.last;
      }
      let invoiced = 0;
      for (;;) {
        const b = await db.withTenant(PLATFORM, async (tx) => {
          await tx.execute(sql`select pg_advisory_xact_lock(hashtext('billing.wholesale.invoice'))`);
          await ensureResellerClients(tx);
          const batch = await invoiceChargesBatch(tx, today, batchSize);
          for (const id of batch.free) {
            if (!(await settleFree(tx, PLATFORM, id))) continue;
            const invoice = (await findInvoice(tx, PLATFORM, id))!;
            await settlement.invoicePaid(tx, PLATFORM, invoice, invoice.paidAt!);
          }
          if (batch.issued > 0) await tx.execute(sql`select pg_notify('geminis_outbox', '')`);
          return batch;
        });
        invoiced += b.issued;
        if (b.groups < batchSize) break;
      }
      const policy = await db.withTenant(PLATFORM, (tx) => getWholesalePolicy(tx));
      // lifted whatever the policy now says (it may have been 'suspend' when they were taken)
      const unsuspended = await db.withTenant(allTenants, (tx) =>
        liftPaidWholesaleSuspensions(tx, today, policy.suspendAfterDays),
      );
      const suspended =
        policy.unpaidAction === 'suspend'
          ? await db.withTenant(allTenants, (tx) =>
              suspendForUnpaidWholesale(tx, today, policy.suspendAfterDays),
            )
          : 0;
      return { charged, invoiced, suspended, unsuspended };
    },

    async list(auth: AuthContext, q: { resellerId?: string | undefined }) {
      const reseller = resellerOf(auth, q.resellerId);
      return db.withTenant(PLATFORM, async (tx) => {
        const ids = await wholesaleInvoiceIds(tx, { resellerId: reseller, limit: 200 });
        const charges = await chargesOfInvoice(tx, ids, reseller);
        const items: WholesaleInvoiceView[] = [];
        for (const id of ids) {
          const invoice = await findInvoice(tx, PLATFORM, id, reseller);
          if (invoice) items.push(wholesaleView(invoice, charges.get(id) ?? []));
        }
        return { items };
      });
    },

    async get(auth: AuthContext, id: string): Promise<WholesaleInvoiceView> {
      const invoice = await visible(auth, id);
      const charges = await db.withTenant(PLATFORM, (tx) => chargesOfInvoice(tx, [id], invoice.clientId));
      return wholesaleView(invoice, charges.get(id) ?? []);
    },

    /**
     * The reseller pays a wholesale invoice from its balance at the platform (account credit the platform's
     * staff deposited for it), in full or what the balance covers; Idempotency-Key honoured.
     */
    async applyCredit(
      auth: AuthContext,
      id: string,
      input: { amount?: number | undefined },
      key: string | undefined,
    ): Promise<Answer<unknown> & { replayed: boolean }> {
      const invoice = await visible(auth, id);
      return idempotent<unknown>(
        {
          tenantId: PLATFORM_TENANT_ID,
          callerId: auth.userId,
          key,
          fingerprint: ['POST /v1/wholesale/invoices/:id/apply-credit', id, input],
        },
        async (complete) => ({
          status: 201,
          body: await db.withTenant(PLATFORM, async (tx) => {
            await lockClient(tx, PLATFORM, invoice.clientId);
            const available =
              (await creditBalances(tx, PLATFORM, invoice.clientId)).find(
                (b) => b.currency === invoice.currency,
              )?.amount ?? 0n;
            const locked = (await findInvoice(tx, PLATFORM, id, undefined, true))!;
            const balance = locked.total - locked.amountPaid;
            const amount =
              input.amount !== undefined ? BigInt(input.amount) : available < balance ? available : balance;
            if (amount > available || amount <= 0n) throw insufficientCredit(available);
            const paid = await applyPayment(tx, PLATFORM, settlement, id, {
              amount,
              method: 'credit',
              reference: null,
              by: auth.userId,
            });
            const charges = await chargesOfInvoice(tx, [id], invoice.clientId);
            const body = {
              payment: paymentView(paid.payment),
              invoice: wholesaleView(paid.invoice, charges.get(id) ?? []),
            };
            await complete(tx, { status: 201, body });
            return body;
          }),
        }),
      );
    },

    /**
     * The reseller pays a wholesale invoice by card: a PaymentIntent on the PLATFORM's Stripe account (the
     * invoice is the platform's), created by the card service exactly as for any of the platform's invoices
     * once this caller is known to be the invoice's payer (or the platform's staff); Stripe's signed
     * payment_intent.succeeded to the platform's webhook settles it. Idempotency-Key honoured.
     */
    async cardPayment<T>(
      auth: AuthContext,
      id: string,
      key: string | undefined,
      card: {
        createIntent(
          auth: AuthContext,
          invoiceId: string,
          key: string | undefined,
          tenantId?: string,
        ): Promise<T>;
      },
    ): Promise<T> {
      await visible(auth, id);
      // the payer is checked above; the intent is made in the platform's tenant, as its staff would make it
      const asPlatform: AuthContext = { ...auth, role: 'admin', tenantId: PLATFORM_TENANT_ID };
      return card.createIntent(asPlatform, id, key, PLATFORM_TENANT_ID);
    },

    /** The reseller's account credit at the platform, per currency (what pays its wholesale invoices). */
    async balance(auth: AuthContext, q: { resellerId?: string | undefined }) {
      const reseller = resellerOf(auth, q.resellerId);
      if (!reseller) throw invalidField('request.invalid', 'resellerId', 'name the reseller');
      const balances = await db.withTenant(PLATFORM, (tx) => creditBalances(tx, PLATFORM, reseller));
      return {
        resellerId: reseller,
        balances: balances.map((b) => ({ currency: b.currency, amount: toJsonMinor(b.amount) })),
      };
    },

    /** The wholesale invoice as a PDF in the platform's brand (billing's invoice PDF), for its payer. */
    async pdf<T>(
      auth: AuthContext,
      id: string,
      invoices: { pdf(auth: AuthContext, id: string, tenantId?: string): Promise<T> },
    ): Promise<T> {
      await visible(auth, id);
      const asPlatform: AuthContext = { ...auth, role: 'admin', tenantId: PLATFORM_TENANT_ID };
      return invoices.pdf(asPlatform, id, PLATFORM_TENANT_ID);
    },

    async policy(auth: AuthContext): Promise<WholesalePolicy> {
      resellerOf(auth);
      return db.withTenant(PLATFORM, (tx) => getWholesalePolicy(tx));
    },

    async setPolicy(auth: AuthContext, p: WholesalePolicy): Promise<WholesalePolicy> {
      if (auth.role !== 'admin') throw new ForbiddenError('auth.forbidden', 'the platform’s staff only');
      return db.withTenant(PLATFORM, async (tx) => {
        await saveWholesalePolicy(tx, p);
        return getWholesalePolicy(tx);
      });
    },
  };
}

export type Wholesale = ReturnType<typeof createWholesale>;
