import { PermanentEventError, tenantScope, type EventHandler, type KitLogger } from '@geminis/service-kit';
import { followExpiry } from '../store/domains.store';
import { transitionService } from '../store/services.store';

interface DomainResult {
  domainServiceId: string;
  domain: string;
  expiresAt: string;
  registrar: string;
}

/**
 * provisioning.domain.registered.v1 / transferred.v1: the domain is ours at the registrar → the domain
 * service is active and its next due date is the registrar's expiry. renewed.v1: the expiry moved on → the
 * due date follows. Applied in the inbox transaction; a repeat sets the same values again. A domain service
 * this tenant does not have is a permanent error (dead-lettered).
 */
export function domainResultHandler(activates: boolean, logger?: KitLogger): EventHandler {
  return async (tx, event) => {
    const d = event.data as DomainResult;
    const scope = tenantScope(event.tenantId);
    if (activates) {
      const outcome = await transitionService(
        tx,
        scope,
        d.domainServiceId,
        ['pending', 'provisioning', 'provision_failed'],
        'active',
        { lastError: null },
      );
      if (outcome === 'missing')
        throw new PermanentEventError(`no domain service ${d.domainServiceId} in tenant ${event.tenantId}`);
    }
    const changed = await followExpiry(tx, scope, { serviceId: d.domainServiceId }, d.expiresAt, d.registrar);
    if (changed.length === 0) {
      if (!activates)
        throw new PermanentEventError(`no domain service ${d.domainServiceId} in tenant ${event.tenantId}`);
      logger?.info({ eventId: event.id, type: event.type }, 'domain result for a service that is over');
    }
  };
}

/**
 * provisioning.domain.expiry_changed.v1: the registrar's expiry differs from what provisioning knew (a
 * sync, a renewal elsewhere): the due date of the domain's service follows it — by service id, or by the
 * domain's name in this tenant when provisioning does not know the service. Nothing to follow is normal
 * (a domain billing does not bill for).
 */
export const domainExpiryChangedHandler =
  (logger?: KitLogger): EventHandler =>
  async (tx, event) => {
    const d = event.data as { domainServiceId?: string; domain: string; expiresAt: string };
    const changed = await followExpiry(
      tx,
      tenantScope(event.tenantId),
      d.domainServiceId ? { serviceId: d.domainServiceId } : { domain: d.domain },
      d.expiresAt,
    );
    if (changed.length === 0)
      logger?.info({ eventId: event.id, domain: d.domain }, 'expiry of a domain billing does not bill');
  };

/** provisioning.domain.registration_failed.v1: staff see the domain service as failed, with the reason. */
export const domainRegistrationFailedHandler =
  (logger?: KitLogger): EventHandler =>
  async (tx, event) => {
    const d = event.data as { domainServiceId: string; reason: string };
    const outcome = await transitionService(
      tx,
      tenantScope(event.tenantId),
      d.domainServiceId,
      ['pending', 'provisioning'],
      'provision_failed',
      { lastError: d.reason },
    );
    if (outcome === 'missing')
      throw new PermanentEventError(`no domain service ${d.domainServiceId} in tenant ${event.tenantId}`);
    if (outcome === 'ignored')
      logger?.info({ eventId: event.id, type: event.type }, 'stale domain failure ignored');
  };
