import { InvoicePaid, ServiceProvisionRequested } from '@geminis/contracts';
import { type Outbox, type TenantScope, type Tx } from '@geminis/service-kit';
import { findClient } from '../store/clients.store';
import { type Invoice } from '../store/invoices.store';
import { setOrderStatus } from '../store/orders.store';
import { moveOrderServices } from '../store/services.store';
import { toJsonMinor } from './money';

/**
 * What follows an invoice being paid in full, in the same transaction as the payment: the
 * `billing.invoice.paid.v1` event; and for the first invoice of an order, the order becomes active and
 * each of its pending services asks provisioning for its account (`billing.service.provision_requested.v1`,
 * carrying the client's snapshot and the module config from the order's snapshot — never a password).
 */
export function createSettlement(deps: { outbox: Outbox }) {
  const { outbox } = deps;
  return {
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
      if (invoice.reason !== 'order' || !invoice.orderId) return;
      await setOrderStatus(tx, scope, invoice.orderId, 'pending', 'active');
      const services = await moveOrderServices(tx, scope, invoice.orderId, 'pending', 'provisioning');
      if (services.length === 0) return;
      const client = await findClient(tx, scope, invoice.clientId);
      if (!client) throw new Error(`client ${invoice.clientId} of invoice ${invoice.id} is not known`);
      for (const s of services) {
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
