import { InvoiceIssued, ServiceChangePackageRequested } from '@geminis/contracts';
import {
  newId,
  tenantScope,
  UpstreamError,
  type AuthContext,
  type Database,
  type Outbox,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import {
  applyChange,
  applyToService,
  insertChange,
  listChanges,
  pendingChangeOfInvoice,
  withdrawUnpaidChange,
  type ChangeLineDetails,
  type ServiceChange,
} from '../store/changes.store';
import { buyerOf, findClient } from '../store/clients.store';
import { insertInvoice } from '../store/invoices.store';
import { insertCreditEntry } from '../store/payments.store';
import { findService, type ClientService } from '../store/services.store';
import { getSettings, nextNumber } from '../store/settings.store';
import { taxFor } from '../store/taxes.store';
import { wholesaleRateOf } from '../store/wholesale.store';
import { type CatalogClient } from '../upstream/catalog.client';
import { PLATFORM_TENANT_ID, viewerOf } from './context';
import { addDays, dateOf } from './cycles';
import { changeAlreadyPending, sameProduct, serviceNotFound, serviceStateConflict } from './errors';
import { type Answer, type Idempotent } from './idempotency.service';
import { type ChangePackageInput } from './inputs';
import { SYSTEM_ACTOR } from './invoice-payment';
import { lineTax, toJsonMinor } from './money';
import { addMonths, formatNumber } from './order-plan';
import { PRORATION_RULE, prorate } from './proration';
import { type Settlement } from './settlement.service';
import { chargeChangedWholesale } from './wholesale-credits';

const CYCLE_MONTHS: Record<string, number> = {
  monthly: 1,
  quarterly: 3,
  semiannually: 6,
  annually: 12,
  biennially: 24,
  triennially: 36,
};

/** The period the service is in: the cycle before its next due date (never before it was registered). */
function currentPeriod(s: ClientService): { start: string; end: string } {
  const end = s.nextDueDate!;
  const start = addMonths(end, -(CYCLE_MONTHS[s.cycle] ?? 1));
  return { start: start < s.registrationDate ? s.registrationDate : start, end };
}

/**
 * What the change's quote line says only our services see: the platform's product of a resold product
 * (the line's productId is the reseller's alias) and the wholesale owed per unit and cycle (null: own).
 */
const lineDetailsOf = (d: {
  platformProductId: string | null;
  wholesale: { price: number; setupFee: number } | null;
}): ChangeLineDetails => ({
  platformProductId: d.platformProductId,
  wholesale: d.wholesale
    ? { price: BigInt(d.wholesale.price), setupFee: BigInt(d.wholesale.setupFee) }
    : null,
});

export const changeView = (c: ServiceChange) => ({
  changeId: c.id,
  serviceId: c.serviceId,
  status: c.status,
  fromProductId: c.fromProductId,
  toProductId: c.toProductId,
  productName: c.productName,
  currency: c.currency,
  proration: {
    periodStart: c.periodStart,
    periodEnd: c.periodEnd,
    changeDate: c.changeDate,
    oldAmount: toJsonMinor(c.oldAmount),
    newAmount: toJsonMinor(c.newAmount),
    credit: toJsonMinor(c.credit),
    charge: toJsonMinor(c.charge),
    difference: toJsonMinor(c.charge - c.credit),
    rule: PRORATION_RULE,
  },
  invoiceId: c.invoiceId,
  createdAt: c.createdAt,
  appliedAt: c.appliedAt,
  inPlaceAt: c.inPlaceAt ?? null,
  panelPackage: c.panelPackage ?? null,
});
export type ChangeView = ReturnType<typeof changeView>;

/**
 * Upgrades and downgrades mid-cycle. The new product is priced by catalog's quote (the caller's own
 * storefront and rules) for the service's cycle and quantity; the proration credits the unused days of the
 * old price and charges them at the new one (proration.ts, half-up per amount). A positive difference is
 * invoiced (numbered, taxed per line) and the change applies when that invoice is paid; zero or negative
 * applies at once, the difference going to the client's account credit. A new request replaces a change
 * still waiting for payment (its invoice is cancelled). Applying asks provisioning with
 * `billing.service.change_package_requested.v1`, in the same transaction, and changes what a reseller owes
 * the platform for the rest of the period of a resold service (wholesale-credits.ts chargeChangedWholesale).
 * `settlement` is asked for lazily: the settlement applies a paid change through this service.
 */
export function createChangePackage(deps: {
  db: Database;
  outbox: Outbox;
  catalog: CatalogClient;
  idempotent: Idempotent;
  settlement: () => Settlement;
  now?: () => Date;
}) {
  const { db, outbox, catalog, idempotent } = deps;
  const now = deps.now ?? (() => new Date());

  /**
   * What the reseller paid the platform per period for the service before the change (its wholesale × its
   * quantity; 0 for its own product), read before the change applies; null when there is nothing to work
   * out: the platform's own service, or a change recorded before billing kept its quote line's wholesale.
   */
  async function wholesaleBefore(tx: Tx, scope: TenantScope, s: ClientService, c: ServiceChange) {
    if (s.tenantId === PLATFORM_TENANT_ID || !c.line) return null;
    return wholesaleRateOf(tx, scope, s.id);
  }

  /** The change applied: the reseller's wholesale for the rest of the charged period follows it. */
  async function wholesaleAfter(
    tx: Tx,
    scope: TenantScope,
    s: ClientService,
    c: ServiceChange,
    rateFrom: bigint | null,
    by: string,
  ) {
    if (rateFrom === null || !c.line) return;
    await chargeChangedWholesale(
      tx,
      outbox,
      deps.settlement(),
      by,
      {
        changeId: c.id,
        tenantId: s.tenantId,
        serviceId: s.id,
        products: `${s.productName} → ${c.productName}`,
        platformProductId: c.line.platformProductId,
        rateFrom,
        rateTo: c.line.wholesale ? c.line.wholesale.price * BigInt(s.quantity) : 0n,
        retail: c.charge - c.credit,
        productName: c.productName,
        cycle: s.cycle,
        quantity: s.quantity,
        currency: s.currency,
      },
      dateOf(now()),
      scope,
    );
  }

  async function requested(tx: Tx, c: ServiceChange, cause: { causationId?: string } = {}) {
    await outbox.enqueue(tx, {
      type: ServiceChangePackageRequested.type,
      tenantId: c.tenantId,
      data: {
        changeId: c.id,
        serviceId: c.serviceId,
        clientId: c.clientId,
        ...(c.invoiceId ? { invoiceId: c.invoiceId } : {}),
        fromProductId: c.fromProductId,
        toProductId: c.toProductId,
        productName: c.productName,
        productType: c.productType,
        module: c.module,
        moduleConfig: c.moduleConfig,
        cycle: c.cycle,
      },
      ...cause,
    });
  }

  return {
    /** Settlement: the invoice of a pending change was paid → the change applies (once). */
    async invoicePaid(tx: Tx, scope: TenantScope, invoiceId: string, causationId?: string) {
      const c = await pendingChangeOfInvoice(tx, scope, invoiceId);
      if (!c) return;
      // locked (after the change, as applying it always did): a cancellation meanwhile either credited the
      // service before (it is over here: nothing changes) or waits and credits what this change made it
      const s = await findService(tx, scope, c.serviceId, undefined, true);
      const live = s && s.status !== 'terminated' && s.status !== 'cancelled' ? s : null;
      const rateFrom = live ? await wholesaleBefore(tx, scope, live, c) : null;
      if (!(await applyChange(tx, scope, c))) return;
      if (live) await wholesaleAfter(tx, scope, live, c, rateFrom, SYSTEM_ACTOR);
      await requested(tx, { ...c, status: 'applied' }, causationId ? { causationId } : {});
    },

    /** A service's changes of package (whoever may read the service; otherwise the same 404). */
    async list(auth: AuthContext, serviceId: string, tenantId?: string): Promise<ChangeView[]> {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, async (tx) => {
        const s = await findService(tx, v.scope, serviceId, v.clientId);
        if (!s) throw serviceNotFound();
        return (await listChanges(tx, v.scope, serviceId, v.clientId)).map(changeView);
      });
    },

    async request(
      auth: AuthContext,
      token: string,
      serviceId: string,
      input: ChangePackageInput,
      key: string | undefined,
      tenantId?: string,
    ): Promise<Answer<ChangeView> & { replayed: boolean }> {
      const v = viewerOf(auth, tenantId);
      const s = await db.withTenant(v.scope, (tx) => findService(tx, v.scope, serviceId, v.clientId));
      if (!s) throw serviceNotFound();
      return idempotent<ChangeView>(
        {
          tenantId: s.tenantId,
          callerId: auth.userId,
          key,
          fingerprint: ['POST change-package', serviceId, input],
        },
        async (complete) => {
          if (s.status !== 'active') throw serviceStateConflict(s.status, 'changed');
          if (s.productId === null || s.nextDueDate === null || s.cancelAt !== null)
            throw serviceStateConflict('not a renewing product', 'changed');
          if (s.productId === input.productId) throw sameProduct();
          const quote = await catalog.quote(token, {
            currency: s.currency,
            items: [{ productId: input.productId, cycle: s.cycle, quantity: s.quantity }],
            ...(auth.role !== 'client' ? { clientId: s.clientId } : {}),
            ...(auth.role === 'admin' && s.tenantId !== PLATFORM_TENANT_ID ? { tenantId: s.tenantId } : {}),
          });
          const line = quote.lines[0];
          if (!line || line.kind !== 'product' || line.productId !== input.productId)
            throw new UpstreamError('billing.catalog_failed', 'catalog priced another product');
          const scope = tenantScope(s.tenantId);
          const today = dateOf(now());
          const body = await db.withTenant(scope, async (tx) => {
            const locked = (await findService(tx, scope, serviceId, undefined, true))!;
            if (
              locked.status !== 'active' ||
              locked.nextDueDate !== s.nextDueDate ||
              locked.productId !== s.productId
            )
              throw serviceStateConflict(locked.status, 'changed now (it changed meanwhile)');
            // a new change replaces one still waiting for payment (its invoice is cancelled); one paid in
            // part must be settled first
            if (!(await withdrawUnpaidChange(tx, scope, serviceId))) throw changeAlreadyPending();
            const period = currentPeriod(locked);
            if (today >= period.end)
              throw serviceStateConflict('due for renewal', 'changed before it is renewed');
            const p = prorate({
              oldAmount: locked.recurringAmount,
              newAmount: BigInt(line.subtotal),
              periodStart: period.start,
              periodEnd: period.end,
              changeDate: today < period.start ? period.start : today,
            });
            const change: ServiceChange = {
              id: newId(),
              tenantId: s.tenantId,
              serviceId,
              clientId: s.clientId,
              fromProductId: s.productId!,
              toProductId: input.productId,
              productName: line.description,
              productType: line.details.productType ?? 'other',
              module: line.details.module,
              moduleConfig: line.details.moduleConfig ?? {},
              cycle: s.cycle,
              currency: s.currency,
              oldAmount: locked.recurringAmount,
              newAmount: BigInt(line.subtotal),
              periodStart: period.start,
              periodEnd: period.end,
              changeDate: today < period.start ? period.start : today,
              line: lineDetailsOf(line.details),
              credit: p.credit,
              charge: p.charge,
              invoiceId: null,
              status: p.difference > 0n ? 'pending' : 'applied',
              createdAt: new Date().toISOString(),
              appliedAt: null,
            };
            if (p.difference > 0n) {
              const settings = await getSettings(tx, s.tenantId);
              const client = (await findClient(tx, scope, s.clientId))!;
              const year = now().getUTCFullYear();
              const n = await nextNumber(tx, s.tenantId, 'invoice', settings.invoiceYearlyReset ? year : 0);
              const invoiceId = newId();
              const taxOf = await taxFor(tx, s.tenantId, s.clientId);
              const { amount, tax, total } = lineTax(p.difference, taxOf.rateBps, settings.taxInclusive);
              const number = formatNumber(settings, year, n);
              const dueDate = addDays(today, settings.invoiceDueDays);
              await insertInvoice(tx, scope, {
                id: invoiceId,
                clientId: s.clientId,
                orderId: null,
                reason: 'change_package',
                number,
                currency: s.currency,
                subtotal: amount,
                taxName: taxOf.name,
                taxRateBps: taxOf.rateBps,
                taxNote: taxOf.note,
                taxTotal: tax,
                total,
                buyer: buyerOf(client),
                dueDate,
                lines: [
                  {
                    description: `Change ${locked.productName} → ${line.description}, ${p.unusedDays} of ${p.periodDays} days`,
                    quantity: 1,
                    unitPrice: p.difference,
                    setupFee: 0n,
                    discount: 0n,
                    amount,
                    tax,
                    total,
                    serviceId,
                    periodStart: change.changeDate,
                    periodEnd: period.end,
                  },
                ],
              });
              change.invoiceId = invoiceId;
              await insertChange(tx, scope, { ...change, requestedBy: auth.userId });
              await outbox.enqueue(tx, {
                type: InvoiceIssued.type,
                tenantId: s.tenantId,
                data: {
                  invoiceId,
                  number,
                  clientId: s.clientId,
                  currency: s.currency,
                  subtotal: toJsonMinor(amount),
                  tax: toJsonMinor(tax),
                  total: toJsonMinor(total),
                  dueDate,
                  // the published event knows order, renewal and manual only (a new value would be refused by
                  // consumers of v1): an upgrade's invoice goes out as 'manual' there
                  reason: 'manual',
                  purpose: 'change_package',
                },
              });
            } else {
              const rateFrom = await wholesaleBefore(tx, scope, locked, change);
              await insertChange(tx, scope, { ...change, requestedBy: auth.userId });
              await applyToService(tx, scope, change);
              if (p.difference < 0n)
                await insertCreditEntry(tx, scope, {
                  id: newId(),
                  clientId: s.clientId,
                  currency: s.currency,
                  amount: -p.difference,
                  kind: 'deposit',
                  description: `change of package: ${p.unusedDays} unused days of ${locked.productName}`,
                  createdBy: auth.userId === s.clientId ? SYSTEM_ACTOR : auth.userId,
                });
              // the platform's credit note (if any) is the system's, not the client's who asked
              const by = auth.userId === s.clientId ? SYSTEM_ACTOR : auth.userId;
              await wholesaleAfter(tx, scope, locked, change, rateFrom, by);
              await requested(tx, change);
            }
            const view = changeView(change);
            await complete(tx, { status: 201, body: view });
            return view;
          });
          return { status: 201, body };
        },
      );
    },
  };
}

export type ChangePackage = ReturnType<typeof createChangePackage>;
