import { type InvoiceAutoChargeFailed } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { formatMoney } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';

type Failed = z.infer<typeof InvoiceAutoChargeFailed.schema>;

/**
 * billing.invoice.auto_charge_failed.v1: the client is told its card was declined and when the next try
 * is. The decline codes stay out of the mail (staff read them in billing).
 */
export function autoChargeFailedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Failed;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'payment_failed',
      clientId: data.clientId,
      vars: (language) => ({
        invoiceNumber: data.number,
        amount: formatMoney(data.amount, data.currency, language),
        nextAttemptOn: data.nextAttemptOn ?? (language === 'es' ? 'ninguno' : 'none'),
      }),
    });
  };
}
