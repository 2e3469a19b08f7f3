import { type InvoiceLateFeeApplied } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { formatMoney } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';

type Applied = z.infer<typeof InvoiceLateFeeApplied.schema>;

/** billing.invoice.late_fee_applied.v1: the client learns the fee and the invoice's new total. */
export function lateFeeAppliedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Applied;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'late_fee_applied',
      clientId: data.clientId,
      vars: (language) => ({
        invoiceNumber: data.number,
        fee: formatMoney(data.fee, data.currency, language),
        total: formatMoney(data.total, data.currency, language),
      }),
    });
  };
}
