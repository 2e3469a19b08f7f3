import { type DomainExpiryChanged, type DomainRegistered } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { recordDomainExpiry } from '../store/domain-expiries.store';

type Result = z.infer<typeof DomainRegistered.schema>;
type Changed = z.infer<typeof DomainExpiryChanged.schema>;

/**
 * provisioning.domain.registered/transferred/renewed/expiry_changed.v1: support keeps each domain
 * service's expiry date for its reminders (a domain not tied to a client service is not reminded).
 */
export function domainExpiryHandler(): EventHandler {
  return async (tx, event) => {
    const data = event.data as Result | Changed;
    if (!data.domainServiceId) return;
    await recordDomainExpiry(tx, tenantScope(event.tenantId), {
      domainServiceId: data.domainServiceId,
      domain: data.domain,
      expiresAt: data.expiresAt,
      asOf: event.time,
    });
  };
}
