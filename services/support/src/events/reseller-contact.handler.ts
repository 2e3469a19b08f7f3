import { PLATFORM_TENANT_ID, type ResellerCreated } from '@geminis/contracts';
import { applyTenantScope, tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';

type Profile = z.infer<typeof ResellerCreated.schema>;

/**
 * identity.reseller.created/updated.v1: a reseller is also the PLATFORM's client (the platform invoices it
 * the wholesale price of what it resells, billing.invoice.*.v1 in the platform's tenant with the reseller's
 * id as the client). Its contact address (`contactEmail`, its owner's) is recorded as that client's, so the
 * platform's wholesale invoices and reminders reach it. An event without one (an older identity) changes
 * nothing. The mails themselves are the platform's (its brand).
 */
export function resellerContactHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Profile;
    if (!data.contactEmail || data.resellerId !== event.tenantId) return;
    // the row is the platform's: written in its tenant, then back to the event's for what follows
    const platform = tenantScope(PLATFORM_TENANT_ID);
    await applyTenantScope(tx, platform);
    await deps.notifications.recordRecipient(tx, platform, {
      clientId: data.resellerId,
      email: data.contactEmail,
      name: data.brandName,
      language: 'en',
    });
    await applyTenantScope(tx, tenantScope(event.tenantId));
  };
}
