import { type InvoiceReminderDue } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { formatMoney } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';

type Due = z.infer<typeof InvoiceReminderDue.schema>;

/**
 * billing.invoice.reminder_due.v1: a reminder before (or on) the due date, an overdue notice after it.
 * Billing sends one event per (invoice, step); each mails once.
 */
export function invoiceReminderDueHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Due;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: data.offsetDays > 0 ? 'invoice_overdue' : 'invoice_reminder',
      clientId: data.clientId,
      vars: (language) => ({
        invoiceNumber: data.number,
        balance: formatMoney(data.balance, data.currency, language),
        dueDate: data.dueDate,
        daysOverdue: String(Math.max(0, data.offsetDays)),
      }),
    });
  };
}
