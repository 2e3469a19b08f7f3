import { type DomainRegisterRequested, type DomainRenewRequested } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { rememberDomainClient } from '../store/mail.store';

type Registration = z.infer<typeof DomainRegisterRequested.schema>;
type Renewal = z.infer<typeof DomainRenewRequested.schema>;

/**
 * billing.domain.register_requested.v1, transfer_requested.v1 and renew_requested.v1: support remembers
 * whose domain service it is (provisioning's results name only the domain service). Nothing else of the
 * request is kept — not the contacts, never an EPP code.
 */
export function domainRequestedHandler(): EventHandler {
  return async (tx, event) => {
    const data = event.data as Registration | Renewal;
    const clientId = 'client' in data ? data.client.clientId : data.clientId;
    await rememberDomainClient(tx, tenantScope(event.tenantId), data.domainServiceId, clientId);
  };
}
