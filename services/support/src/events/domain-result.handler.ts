import { type DomainRegistered } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { type NotificationsService } from '../domain/notifications.service';
import { domainClient } from '../store/mail.store';

type Result = z.infer<typeof DomainRegistered.schema>;

/**
 * provisioning.domain.registered.v1 / transferred.v1 (domain_registered) and renewed.v1 (domain_renewed):
 * mailed to the client billing named when it asked. A domain support never saw requested mails nobody.
 */
export function domainResultHandler(
  deps: { notifications: NotificationsService },
  template: 'domain_registered' | 'domain_renewed',
): EventHandler {
  return async (tx, event) => {
    const data = event.data as Result;
    const scope = tenantScope(event.tenantId);
    const clientId = await domainClient(tx, scope, data.domainServiceId);
    if (!clientId) return;
    await deps.notifications.queue(tx, scope, {
      eventId: event.id,
      template,
      clientId,
      vars: { domain: data.domain, expiresAt: data.expiresAt.slice(0, 10) },
    });
  };
}
