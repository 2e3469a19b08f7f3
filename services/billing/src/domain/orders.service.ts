import {
  InvoiceIssued,
  OrderCancelled,
  OrderPlaced,
  type OrderView,
  type QuoteSnapshot,
} from '@geminis/contracts';
import {
  AppError,
  allTenants,
  newId,
  tenantScope,
  UnavailableError,
  UpstreamError,
  type AuthContext,
  type Database,
  type Outbox,
  type Tx,
} from '@geminis/service-kit';
import { type CatalogClient } from '../upstream/catalog.client';
import { buyerOf, findClient, type Client } from '../store/clients.store';
import { insertRegistration } from '../store/domains.store';
import {
  cancelOrderInvoice,
  findInvoice,
  insertInvoice,
  numberInvoice,
  settleFree,
} from '../store/invoices.store';
import {
  expiredOrders,
  findOrder,
  insertOrder,
  listOrders,
  setOrderStatus,
  type Order,
} from '../store/orders.store';
import { insertService, moveOrderServices } from '../store/services.store';
import { getSettings } from '../store/settings.store';
import { taxFor } from '../store/taxes.store';
import { staffTenantOf, viewerOf } from './context';
import { addDays, dateOf } from './cycles';
import { invalidField, orderNotCancellable, orderNotFound, promotionRefused, unknownClient } from './errors';
import { type Answer, type Complete, type Idempotent } from './idempotency.service';
import { type OrderInput } from './inputs';
import { toJsonMinor } from './money';
import { type Sealer } from './secrets';
import { planOrder, type DomainRenewal } from './order-plan';
import { type PromotionHolds } from './promotion-holds.service';
import { type Settlement } from './settlement.service';
import { orderView } from './views';

const REFUSALS: Record<string, string> = {
  limit_reached: 'this promotion has reached its usage limit',
  client_limit_reached: 'you have already used this promotion as many times as allowed',
};

/** Whose order it is: a client orders for itself; staff name a client of their tenant. */
/**
 * Catalog names a refused cart item by its place in the cart it was sent (`items.3.years`); billing sends
 * the products then the domains, so a place past the products is the order's `domains.N`.
 */
function renamedForOrder(err: unknown, products: number): unknown {
  if (!(err instanceof AppError) || !err.fieldErrors) return err;
  for (const f of err.fieldErrors) {
    const m = /^items\.(\d+)(\..*)?$/.exec(f.field);
    if (m && Number(m[1]) >= products)
      (f as { field: string }).field = `domains.${Number(m[1]) - products}${m[2] ?? ''}`;
  }
  return err;
}

function partiesOf(auth: AuthContext, input: OrderInput): { tenantId: string; clientId: string } {
  if (auth.role !== 'admin' && input.tenantId !== undefined)
    throw invalidField('request.invalid', 'tenantId', 'only an admin may name a tenant');
  if (auth.role === 'client') {
    if (input.clientId !== undefined && input.clientId !== auth.userId)
      throw invalidField('request.invalid', 'clientId', 'a client orders for itself');
    return { tenantId: auth.tenantId, clientId: auth.userId };
  }
  if (!input.clientId)
    throw invalidField('request.invalid', 'clientId', 'required when staff place an order');
  return { tenantId: staffTenantOf(auth, input.tenantId), clientId: input.clientId };
}

export function createOrdersService(deps: {
  db: Database;
  outbox: Outbox;
  catalog: CatalogClient;
  idempotent: Idempotent;
  settlement: Settlement;
  holds: PromotionHolds;
  sealer: Sealer;
  now?: () => Date;
}) {
  const { db, outbox, catalog, idempotent, settlement, holds, sealer } = deps;
  const now = deps.now ?? (() => new Date());

  /** Everything of a placed order in one transaction: order, services, numbered invoice, events, answer. */
  async function record(
    tx: Tx,
    o: {
      id: string;
      client: Client;
      snapshot: QuoteSnapshot;
      input: OrderInput;
      placedBy: string;
      domainRenewals: DomainRenewal[];
    },
    complete: Complete,
  ): Promise<OrderView> {
    const scope = tenantScope(o.client.tenantId);
    const settings = await getSettings(tx, o.client.tenantId);
    const tax = await taxFor(tx, o.client.tenantId, o.client.id);
    const at = now();
    const today = dateOf(at);
    const plan = planOrder(
      o.snapshot,
      o.input.items.map((i) => i.domain),
      today,
      tax.rateBps,
      o.domainRenewals,
      settings.taxInclusive,
    );
    const currency = o.snapshot.currency;
    await insertOrder(tx, scope, {
      id: o.id,
      clientId: o.client.id,
      currency,
      total: BigInt(o.snapshot.totals.total),
      snapshot: o.snapshot,
      placedBy: o.placedBy,
    });
    // The sweep gives back holds of orders that take too long to commit: then this one must not commit.
    if (o.snapshot.promotion && !(await holds.placed(tx, scope, o.id)))
      throw new UnavailableError('billing.order_expired', 'placing the order took too long; try again', {
        retryAfterSeconds: 1,
      });
    const serviceIds = plan.services.map(() => newId());
    for (const [i, s] of plan.services.entries())
      await insertService(tx, scope, {
        ...s,
        id: serviceIds[i]!,
        clientId: o.client.id,
        orderId: o.id,
        currency,
      });
    for (const [i, s] of plan.services.entries()) {
      if (s.domainItem === null) continue;
      const d = o.input.domains[s.domainItem]!;
      const line = o.snapshot.lines.find((l) => l.kind === 'domain' && l.details.domain === d.domain);
      await insertRegistration(tx, scope, {
        serviceId: serviceIds[i]!,
        domain: d.domain,
        tld: line?.kind === 'domain' ? line.details.tld : `.${d.domain.split('.').slice(1).join('.')}`,
        action: d.action,
        years: d.years,
        nameservers: d.nameservers,
        privacy: d.privacy,
        registrant: d.registrant,
        eppCodeSealed: d.eppCode ? sealer.seal(o.client.tenantId, d.eppCode) : null,
      });
    }
    const year = at.getUTCFullYear();
    // Issued as a draft here and numbered last (below): the tenant's invoice counter, which every order of
    // the tenant waits for, is locked only from its number to the commit.
    const invoice = { id: newId(), dueDate: addDays(today, settings.invoiceDueDays) };
    await insertInvoice(tx, scope, {
      ...invoice,
      number: null,
      clientId: o.client.id,
      orderId: o.id,
      reason: 'order',
      currency,
      subtotal: plan.subtotal,
      taxName: tax.name,
      taxRateBps: tax.rateBps,
      taxNote: tax.note,
      taxTotal: plan.taxTotal,
      total: plan.total,
      buyer: buyerOf(o.client),
      lines: plan.lines.map(({ service, ...l }) => ({
        ...l,
        serviceId: service === null ? null : serviceIds[service]!,
      })),
    });
    // order.placed.v1 once for every order (catalog remembers the client has ordered and counts its
    // promotion): the products it lists, and the domains beside them (an order of domains only has no item).
    const products = plan.services.flatMap((s) =>
      s.productId === null
        ? []
        : [{ productId: s.productId, productName: s.productName, cycle: s.cycle, quantity: s.quantity }],
    );
    const placed = await outbox.enqueue(tx, {
      type: OrderPlaced.type,
      tenantId: o.client.tenantId,
      data: {
        orderId: o.id,
        clientId: o.client.id,
        currency,
        total: o.snapshot.totals.total,
        ...(o.snapshot.promotion
          ? { promotionId: o.snapshot.promotion.id, promotionCode: o.snapshot.promotion.code }
          : {}),
        items: products,
        ...(o.input.domains.length > 0
          ? { domains: o.input.domains.map((d) => ({ domain: d.domain, action: d.action, years: d.years })) }
          : {}),
      },
    });
    /** The invoice's number, and `billing.invoice.issued.v1` with it. */
    const issue = async () => {
      const number = await numberInvoice(tx, scope, invoice.id, settings, year);
      await outbox.enqueue(tx, {
        type: InvoiceIssued.type,
        tenantId: o.client.tenantId,
        correlationId: placed.correlationId,
        causationId: placed.id,
        data: {
          invoiceId: invoice.id,
          number,
          clientId: o.client.id,
          currency,
          subtotal: toJsonMinor(plan.subtotal),
          tax: toJsonMinor(plan.taxTotal),
          total: toJsonMinor(plan.total),
          dueDate: invoice.dueDate,
          reason: 'order',
          orderId: o.id,
          purpose: 'order',
        },
      });
    };
    // Nothing to pay (a free product, a 100% promotion): the invoice is paid as it is issued.
    if (plan.total === 0n) {
      await issue();
      if (await settleFree(tx, scope, invoice.id)) {
        const issued = (await findInvoice(tx, scope, invoice.id))!;
        await settlement.invoicePaid(tx, scope, issued, issued.paidAt!, placed.id);
      }
    }
    const order = await findOrder(tx, scope, o.id);
    const view = orderView(order!);
    await complete(tx, { status: 201, body: view });
    if (plan.total !== 0n) await issue();
    return view;
  }

  /**
   * Cancels a locked pending order whose first invoice is unpaid: invoice, services, promotion hold, and
   * `billing.order.cancelled.v1` in the same transaction (the order moves from pending once, so once).
   */
  async function cancelLocked(tx: Tx, found: Order, reason: 'requested' | 'expired'): Promise<Order> {
    const scope = tenantScope(found.tenantId);
    if (found.status !== 'pending') throw orderNotCancellable(found.status);
    if (!(await cancelOrderInvoice(tx, scope, found.id))) throw orderNotCancellable('partly paid');
    if (!(await setOrderStatus(tx, scope, found.id, 'pending', 'cancelled')))
      throw orderNotCancellable('cancelled');
    await moveOrderServices(tx, scope, found.id, 'pending', 'cancelled');
    if (found.promotion) await holds.releasing(tx, scope, found.id);
    const order = (await findOrder(tx, scope, found.id))!;
    await outbox.enqueue(tx, {
      type: OrderCancelled.type,
      tenantId: found.tenantId,
      data: {
        orderId: found.id,
        clientId: found.clientId,
        reason,
        invoiceId: found.invoiceId,
        ...(found.promotion ? { promotionId: found.promotion.id } : {}),
        cancelledAt: order.cancelledAt ?? now().toISOString(),
      },
    });
    return order;
  }

  return {
    /**
     * Places an order: priced by catalog's quote (the caller's own token, so catalog applies the same
     * storefront and client rules), the promotion's use reserved at catalog (refused with the reason when
     * used up), then everything recorded in one transaction. If that transaction fails, the reservation
     * is released again (and if catalog cannot be told, or the process dies first, the holds sweep does).
     */
    async place(
      auth: AuthContext,
      token: string,
      input: OrderInput,
      key: string | undefined,
    ): Promise<Answer<OrderView> & { replayed: boolean }> {
      const { tenantId, clientId } = partiesOf(auth, input);
      const scope = tenantScope(tenantId);
      return idempotent<OrderView>(
        { tenantId, callerId: auth.userId, key, fingerprint: ['POST /v1/orders', input] },
        async (complete) => {
          const client = await db.withTenant(scope, (tx) => findClient(tx, scope, clientId));
          if (!client) throw unknownClient();
          const who = {
            currency: input.currency ?? client.currency,
            ...(auth.role !== 'client' ? { clientId } : {}),
            ...(auth.role === 'admin' ? { tenantId } : {}),
          };
          const quote = await catalog
            .quote(token, {
              ...who,
              items: [
                ...input.items.map(({ domain: _domain, ...item }) => item),
                ...input.domains.map((d) => ({ domain: d.domain, action: d.action, years: d.years })),
              ],
              ...(input.promoCode ? { promoCode: input.promoCode } : {}),
            })
            .catch((err: unknown) => {
              throw renamedForOrder(err, input.items.length);
            });
          // What each domain renews at: catalog's renewal price for the same term (no promotion), and for a
          // reseller's domain the platform's renewal price it owes at each renewal (the line's wholesale).
          const domainRenewals =
            input.domains.length === 0
              ? []
              : (
                  await catalog
                    .quote(token, {
                      ...who,
                      items: input.domains.map((d) => ({
                        domain: d.domain,
                        action: 'renew',
                        years: d.years,
                      })),
                    })
                    .catch((err: unknown) => {
                      throw renamedForOrder(err, 0);
                    })
                ).lines.map((l): DomainRenewal => ({
                  retail: BigInt(l.subtotal),
                  wholesale:
                    l.kind === 'domain' && l.details.wholesale ? BigInt(l.details.wholesale.price) : null,
                }));
          const snapshot = quote.snapshot;
          if (snapshot.tenantId !== tenantId)
            throw new UpstreamError(
              'billing.catalog_failed',
              'catalog priced the cart in another storefront',
            );
          const id = newId();
          if (snapshot.promotion) {
            // Recorded before catalog is asked, so a use held for an order that never commits is found again.
            await holds.hold(tenantId, id, snapshot.promotion.id);
            const r = await catalog
              .reserve(tenantId, id, { promotionId: snapshot.promotion.id, clientId })
              .catch(async (err: unknown) => {
                await holds.release(tenantId, id);
                throw err;
              });
            if (r.status === 'refused') {
              await holds.release(tenantId, id);
              throw promotionRefused(
                r.reason,
                REFUSALS[r.reason] ?? `this promotion cannot be used (${r.reason})`,
              );
            }
          }
          try {
            const body = await db.withTenant(scope, (tx) =>
              record(tx, { id, client, snapshot, input, placedBy: auth.userId, domainRenewals }, complete),
            );
            return { status: 201, body };
          } catch (err) {
            if (snapshot.promotion) await holds.release(tenantId, id);
            throw err;
          }
        },
      );
    },

    async list(auth: AuthContext, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, (tx) => listOrders(tx, v.scope, v.clientId));
    },

    async get(auth: AuthContext, id: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const order = await db.withTenant(v.scope, (tx) => findOrder(tx, v.scope, id, v.clientId));
      if (!order) throw orderNotFound();
      return order;
    },

    /**
     * Cancels a pending order whose first invoice is still unpaid: invoice cancelled, services cancelled,
     * and after the commit the promotion's use released at catalog (or by the sweep, until it is).
     */
    async cancel(auth: AuthContext, id: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const order = await db.withTenant(v.scope, async (tx) => {
        const found = await findOrder(tx, v.scope, id, v.clientId, true);
        if (!found) throw orderNotFound();
        return cancelLocked(tx, found, 'requested');
      });
      if (order.promotion) await holds.release(order.tenantId, order.id);
      return order;
    },

    /** The expiry job: cancels orders left unpaid past their tenant's limit. Returns how many. */
    async expire(): Promise<number> {
      const due = await db.withTenant(allTenants, (tx) => expiredOrders(tx, allTenants));
      let cancelled = 0;
      for (const d of due) {
        const scope = tenantScope(d.tenantId);
        const order = await db
          .withTenant(scope, async (tx) =>
            cancelLocked(tx, (await findOrder(tx, scope, d.orderId, undefined, true))!, 'expired'),
          )
          .catch(() => null); // paid or cancelled meanwhile: nothing to do
        if (!order) continue;
        cancelled += 1;
        if (order.promotion) await holds.release(order.tenantId, order.id);
      }
      return cancelled;
    },
  };
}

export type OrdersService = ReturnType<typeof createOrdersService>;
