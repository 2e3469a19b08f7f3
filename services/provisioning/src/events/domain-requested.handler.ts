import {
  type DomainRegisterRequested,
  type DomainRenewRequested,
  type DomainTransferRequested,
  type EventData,
  type EventEnvelope,
} from '@geminis/contracts';
import { newId, tenantScope, type EventHandler, type Tx } from '@geminis/service-kit';
import { type Cipher } from '../domain/crypto';
import { recordDomainJob } from '../store/domain-jobs.store';
import { findDomainByService, upsertDomain } from '../store/domains.store';
import { notifyRunners } from '../store/jobs.store';

type Registration = EventData<typeof DomainRegisterRequested>;
type Transfer = EventData<typeof DomainTransferRequested>;
type Renewal = EventData<typeof DomainRenewRequested>;

/**
 * Billing's domain requests, inside the inbox transaction (a redelivered event makes no second domain and
 * no second job): the domain row and its durable job, then the runners are woken. Never a registrar call.
 * Registration and transfer are keyed once per domain service, a renewal once per invoice. The EPP code
 * of a transfer is kept sealed in its job.
 */
export function domainRequestedHandlers(maxAttempts: number, cipher: Cipher) {
  const registration =
    (action: 'register' | 'transfer'): EventHandler =>
    async (tx: Tx, event: EventEnvelope<Registration | Transfer>) => {
      const d = event.data;
      const scope = tenantScope(event.tenantId);
      const domain = await upsertDomain(tx, scope, {
        id: newId(),
        domainServiceId: d.domainServiceId,
        clientId: d.client.clientId,
        domain: d.domain,
        tld: d.tld,
        status: action === 'register' ? 'pending' : 'transfer_pending',
        nameservers: d.nameservers,
        privacy: d.privacy,
        registrant: d.registrant,
      });
      const eppCode = 'eppCode' in d ? cipher.seal('epp-codes', d.eppCode) : undefined;
      await recordDomainJob(
        tx,
        scope,
        {
          id: newId(),
          domainId: domain.id,
          action,
          requestKey: 'once',
          request: {
            years: d.years,
            nameservers: d.nameservers,
            privacy: d.privacy,
            registrant: d.registrant,
            ...(eppCode ? { eppCodeSealed: eppCode } : {}),
          },
          eventId: event.id,
          correlationId: event.correlationId,
          maxAttempts,
        },
        false,
      );
      await notifyRunners(tx);
    };

  const renew: EventHandler = async (tx: Tx, event: EventEnvelope<Renewal>) => {
    const d = event.data;
    const scope = tenantScope(event.tenantId);
    // A domain billing knows but provisioning never registered (imported): held at the TLD's registrar.
    const domain =
      (await findDomainByService(tx, scope, d.domainServiceId)) ??
      (await upsertDomain(tx, scope, {
        id: newId(),
        domainServiceId: d.domainServiceId,
        clientId: d.clientId,
        domain: d.domain,
        tld: d.domain.slice(d.domain.indexOf('.')),
        status: 'active',
        nameservers: [],
        privacy: false,
        registrant: null,
      }));
    await recordDomainJob(
      tx,
      scope,
      {
        id: newId(),
        domainId: domain.id,
        action: 'renew',
        requestKey: d.invoiceId,
        request: { years: d.years, invoiceId: d.invoiceId },
        eventId: event.id,
        correlationId: event.correlationId,
        maxAttempts,
      },
      false,
    );
    await notifyRunners(tx);
  };

  return { register: registration('register'), transfer: registration('transfer'), renew };
}
