import { type UserSignupExisting } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type SignupExisting = z.infer<typeof UserSignupExisting.schema>;

/**
 * identity.user.signup_existing.v1: a sign-up with the address of an existing account got the same answer
 * as a new one (nobody learns the address is taken); the account's owner is told, in its tenant's brand
 * and its language (support's own record of a client first, else the event's locale), with links to log
 * in or reset the password (built from the tenant's storefront when the mail is sent). One mail per event;
 * identity throttles the events per address.
 */
export function signupExistingHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as SignupExisting;
    // the account is the event's tenant's: a payload naming another tenant is not believed
    if (data.tenantId !== event.tenantId) return;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      eventId: event.id,
      template: 'signup_existing',
      clientId: data.userId,
      to: { email: data.email, name: '', language: data.locale ?? 'en' },
      vars: { email: data.email },
    });
  };
}
