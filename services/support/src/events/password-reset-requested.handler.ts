import { type PasswordResetRequested } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type Requested = z.infer<typeof PasswordResetRequested.schema>;

/**
 * identity.password_reset.requested.v1: a reset mail to the address identity names (a client, or a
 * reseller's or admin's user). The event carries no token; the link is asked from identity when the
 * mail is sent and never stored (a reset used or expired by then fails the mail, and sends nothing).
 */
export function passwordResetRequestedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Requested;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'password_reset',
      clientId: data.userId,
      to: { email: data.email, name: '', language: 'en' },
      vars: {
        resetId: data.resetId,
        expiresAt: `${new Date(data.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      },
    });
  };
}
