import { type InvoiceIssued } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { formatMoney } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';

type Issued = z.infer<typeof InvoiceIssued.schema>;

/** billing.invoice.issued.v1: the client is mailed its invoice's number, total and due date. */
export function invoiceIssuedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Issued;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'invoice_issued',
      clientId: data.clientId,
      vars: (language) => ({
        invoiceNumber: data.number,
        total: formatMoney(data.total, data.currency, language),
        dueDate: data.dueDate,
      }),
    });
  };
}
