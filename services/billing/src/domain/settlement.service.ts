import {
  DomainRegisterRequested,
  DomainRenewRequested,
  DomainTransferRequested,
  InvoicePaid,
  OrderAccepted,
  PaymentReceived,
  ServiceProvisionRequested,
} from '@geminis/contracts';
import { type Outbox, type TenantScope, type Tx } from '@geminis/service-kit';
import { type Client } from '../store/clients.store';
import { findRegistration, markRequested } from '../store/domains.store';
import { type Invoice } from '../store/invoices.store';
import { type Payment } from '../store/payments.store';
import { acceptOrder } from '../store/orders.store';
import { renewalOf, hasOverdueRenewal } from '../store/renewals.store';
import {
  advanceDueDate,
  findService,
  moveOrderServices,
  requestServiceAction,
  type ClientService,
} from '../store/services.store';
import { dateOf } from './cycles';
import { enqueueRequest } from './lifecycle-requests';
import { toJsonMinor } from './money';
import { type Sealer } from './secrets';

type Cause = { correlationId: string; causationId: string };

/**
 * What follows an invoice being paid in full, in the same transaction as the payment: the
 * `billing.invoice.paid.v1` event; and for the first invoice of an order, the order becomes active and
 * each of its pending services asks provisioning for its account (`billing.service.provision_requested.v1`,
 * carrying the client's snapshot and the module config from the order's snapshot — never a password).
 */
/** What follows a paid invoice that pays for a change of package (change-package.service). */
export interface ChangesOnPayment {
  invoicePaid(tx: Tx, scope: TenantScope, invoiceId: string, causationId?: string): Promise<void>;
}

export function createSettlement(deps: {
  outbox: Outbox;
  sealer: Sealer;
  changes?: ChangesOnPayment;
  now?: () => Date;
}) {
  const { outbox, sealer, changes } = deps;
  const now = deps.now ?? (() => new Date());

  /**
   * A paid renewal: the service's next due date moves one cycle from the old due date (never from the
   * payment date); a service suspended for non-payment with no other renewal overdue is unsuspended and
   * provisioning asked to lift it — a suspension by staff (or found on the panel) stays.
   */
  async function renewalPaid(
    tx: Tx,
    scope: TenantScope,
    invoice: Invoice,
    paid: { id: string; correlationId: string },
  ) {
    const renewal = await renewalOf(tx, scope, invoice.id);
    if (!renewal) return;
    await advanceDueDate(tx, scope, renewal.serviceId, renewal.periodStart, renewal.periodEnd);
    const s = await findService(tx, scope, renewal.serviceId, undefined, true);
    if (
      s &&
      s.productType === 'domain' &&
      s.domain &&
      s.status !== 'terminated' &&
      s.status !== 'cancelled'
    ) {
      // The registrar renews for the term paid for; its answer (renewed.v1) sets the due date to the expiry.
      await outbox.enqueue(tx, {
        type: DomainRenewRequested.type,
        tenantId: invoice.tenantId,
        correlationId: paid.correlationId,
        causationId: paid.id,
        data: {
          domainServiceId: s.id,
          invoiceId: invoice.id,
          clientId: s.clientId,
          domain: s.domain,
          years: Math.max(1, Math.round((s.termMonths ?? 12) / 12)),
        },
      });
      return;
    }
    if (!s || s.status !== 'suspended' || s.suspendReason !== 'overdue') return;
    if (await hasOverdueRenewal(tx, scope, s.id, dateOf(now()))) return;
    if (!(await requestServiceAction(tx, scope, s.id, ['suspended'], 'active', 'unsuspend'))) return;
    await enqueueRequest(tx, outbox, 'unsuspend', s, `invoice ${invoice.number ?? invoice.id} paid`, {
      correlationId: paid.correlationId,
      causationId: paid.id,
    });
  }

  /**
   * A paid domain of an order: provisioning is asked to register it, or to transfer it in with its EPP code
   * (opened here, forgotten once the request is in the outbox).
   */
  async function requestDomain(
    tx: Tx,
    scope: TenantScope,
    invoice: Invoice,
    s: ClientService,
    client: Client,
    cause: Cause,
  ) {
    const d = await findRegistration(tx, scope, s.id);
    if (!d) throw new Error(`domain service ${s.id} has no registration details`);
    const data = {
      domainServiceId: s.id,
      orderId: s.orderId,
      invoiceId: invoice.id,
      client: { clientId: client.id, email: client.email, name: client.name },
      domain: d.domain,
      tld: d.tld,
      years: d.years,
      nameservers: d.nameservers,
      privacy: d.privacy,
      registrant: d.registrant,
    };
    if (d.action === 'transfer') {
      if (!d.eppCodeSealed) throw new Error(`domain transfer ${s.id} has no EPP code`);
      await outbox.enqueue(tx, {
        type: DomainTransferRequested.type,
        tenantId: invoice.tenantId,
        ...cause,
        data: { ...data, eppCode: sealer.open(invoice.tenantId, d.eppCodeSealed) },
      });
    } else {
      await outbox.enqueue(tx, {
        type: DomainRegisterRequested.type,
        tenantId: invoice.tenantId,
        ...cause,
        data,
      });
    }
    await markRequested(tx, scope, s.id);
  }

  return {
    /**
     * `billing.payment.received.v1` for a payment just appended (in its transaction: once per payment),
     * with what the invoice still owes after it. Returns the event, which what follows is caused by.
     */
    async paymentReceived(tx: Tx, payment: Payment, after: Invoice) {
      return outbox.enqueue(tx, {
        type: PaymentReceived.type,
        tenantId: after.tenantId,
        data: {
          paymentId: payment.id,
          invoiceId: after.id,
          number: after.number!,
          clientId: payment.clientId,
          currency: payment.currency,
          amount: toJsonMinor(payment.amount),
          method: payment.method,
          ...(payment.reference ? { reference: payment.reference } : {}),
          balance: toJsonMinor(after.total - after.amountPaid),
          receivedAt: payment.createdAt,
        },
      });
    },

    async invoicePaid(tx: Tx, scope: TenantScope, invoice: Invoice, paidAt: string, causationId?: string) {
      const cause = causationId ? { causationId } : {};
      const paid = await outbox.enqueue(tx, {
        type: InvoicePaid.type,
        tenantId: invoice.tenantId,
        data: {
          invoiceId: invoice.id,
          number: invoice.number!,
          clientId: invoice.clientId,
          currency: invoice.currency,
          total: toJsonMinor(invoice.total),
          paidAt,
        },
        ...cause,
      });
      if (invoice.reason === 'renewal') return renewalPaid(tx, scope, invoice, paid);
      if (invoice.reason === 'change_package') return changes?.invoicePaid(tx, scope, invoice.id, paid.id);
      if (invoice.reason !== 'order' || !invoice.orderId) return;
      // The order accepted and its client read in one statement (the client for the requests below).
      const accepted = await acceptOrder(tx, scope, invoice.orderId, invoice.clientId);
      if (accepted.accepted)
        await outbox.enqueue(tx, {
          type: OrderAccepted.type,
          tenantId: invoice.tenantId,
          correlationId: paid.correlationId,
          causationId: paid.id,
          data: {
            orderId: invoice.orderId,
            clientId: invoice.clientId,
            invoiceId: invoice.id,
            currency: invoice.currency,
            total: toJsonMinor(invoice.total),
            acceptedAt: paidAt,
          },
        });
      const services = await moveOrderServices(tx, scope, invoice.orderId, 'pending', 'provisioning');
      if (services.length === 0) return;
      if (!accepted.client)
        throw new Error(`client ${invoice.clientId} of invoice ${invoice.id} is not known`);
      const client: Client = { tenantId: invoice.tenantId, ...accepted.client };
      const followsPaid = { correlationId: paid.correlationId, causationId: paid.id };
      for (const s of services) {
        if (s.productType === 'domain') {
          await requestDomain(tx, scope, invoice, s, client, followsPaid);
          continue;
        }
        await outbox.enqueue(tx, {
          type: ServiceProvisionRequested.type,
          tenantId: invoice.tenantId,
          correlationId: paid.correlationId,
          causationId: paid.id,
          data: {
            serviceId: s.id,
            orderId: s.orderId,
            invoiceId: invoice.id,
            client: { clientId: client.id, email: client.email, name: client.name },
            cycle: s.cycle,
            productId: s.productId,
            ...(s.platformProductId ? { platformProductId: s.platformProductId } : {}),
            productName: s.productName,
            productType: s.productType,
            module: s.module,
            moduleConfig: s.moduleConfig,
            ...(s.domain ? { domain: s.domain } : {}),
          },
        });
      }
    },
  };
}

export type Settlement = ReturnType<typeof createSettlement>;
