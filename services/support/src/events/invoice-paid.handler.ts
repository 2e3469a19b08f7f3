import { type InvoicePaid } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { formatMoney } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';

type Paid = z.infer<typeof InvoicePaid.schema>;

/** billing.invoice.paid.v1: the client is told its payment arrived. */
export function invoicePaidHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Paid;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'invoice_paid',
      clientId: data.clientId,
      vars: (language) => ({
        invoiceNumber: data.number,
        total: formatMoney(data.total, data.currency, language),
      }),
    });
  };
}
