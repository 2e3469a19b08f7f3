import { z } from 'zod';
import { defineEvent } from '../registry';
import { Domain, Email, Id } from './common';
import { ServiceClient } from './lifecycle';

// --- billing ↔ provisioning: domains ---
// Billing owns the domain as a client service (what was bought, for how many years, its invoices);
// provisioning owns the domain at its registrar. Billing asks once the order line's invoice (or a renewal
// invoice) is paid; provisioning answers with the registrar's facts (its expiry date above all, which
// billing uses for the next renewal).

/** A TLD as catalog prices it: with its leading dot, lower case (`.com`, `.co.uk`). */
export const DomainTld = z.string().regex(/^\.[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'a TLD like .com or .co.uk');

/** A registrar provisioning talks to. */
export const RegistrarKind = z.enum(['resellerclub', 'namecheap', 'namecom']);
export type RegistrarKind = z.infer<typeof RegistrarKind>;

/** A host name a domain delegates to (lower case, no trailing dot). */
export const Nameserver = Domain;

/** A telephone number as registries want it: `+<country code>.<number>`, e.g. `+1.4155550100`. */
export const RegistrantPhone = z
  .string()
  .max(20)
  .regex(/^\+[0-9]{1,3}\.[0-9]{4,14}$/, 'a phone number like +1.4155550100');

/** ISO 3166-1 alpha-2, upper case. */
export const CountryCode = z
  .string()
  .length(2)
  .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code like PT');

/**
 * The registrant contact, a snapshot taken from the order (also used for admin, tech and billing contacts
 * at the registrar). Billing reuses this schema to validate what the client typed at checkout.
 */
export const RegistrantContact = z.object({
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  organization: z.string().trim().min(1).max(200).optional(),
  email: Email,
  phone: RegistrantPhone,
  address1: z.string().trim().min(1).max(200),
  address2: z.string().trim().min(1).max(200).optional(),
  city: z.string().trim().min(1).max(100),
  state: z.string().trim().min(1).max(100).optional(),
  postcode: z.string().trim().min(1).max(20),
  country: CountryCode,
});
export type RegistrantContact = z.infer<typeof RegistrantContact>;

const Years = z.number().int().min(1).max(10);
const ExpiresAt = z.iso.datetime({ offset: true });

const registrationRequest = {
  /** Billing's client-service id of the domain (the key provisioning applies each request once by). */
  domainServiceId: Id,
  orderId: Id,
  invoiceId: Id,
  client: ServiceClient,
  domain: Domain,
  tld: DomainTld,
  years: Years,
  /** Empty: the registrar's default nameservers. */
  nameservers: z.array(Nameserver).max(13),
  /** ID protection / WHOIS privacy, when the TLD and registrar offer it. */
  privacy: z.boolean(),
  registrant: RegistrantContact,
};

export const DomainRegisterRequested = defineEvent(
  'billing.domain.register_requested.v1',
  'A domain registration was paid: register it at the registrar. Idempotent per domainServiceId.',
  z.object(registrationRequest),
);

export const DomainTransferRequested = defineEvent(
  'billing.domain.transfer_requested.v1',
  'A domain transfer-in was paid: start the transfer with its EPP code. Idempotent per domainServiceId.',
  z.object({ ...registrationRequest, eppCode: z.string().min(1).max(64) }),
);

export const DomainRenewRequested = defineEvent(
  'billing.domain.renew_requested.v1',
  'A domain renewal invoice was paid: renew for `years`. Idempotent per (domainServiceId, invoiceId).',
  z.object({
    domainServiceId: Id,
    invoiceId: Id,
    clientId: Id,
    domain: Domain,
    years: Years,
  }),
);

const domainResult = (type: string, description: string) =>
  defineEvent(
    type,
    description,
    z.object({
      domainServiceId: Id,
      domain: Domain,
      /** The expiry date at the registrar after the action. */
      expiresAt: ExpiresAt,
      registrar: RegistrarKind,
    }),
  );

export const DomainRegistered = domainResult(
  'provisioning.domain.registered.v1',
  'The domain is registered at its registrar (registered now, or found already registered for us).',
);
export const DomainTransferred = domainResult(
  'provisioning.domain.transferred.v1',
  'The transfer-in completed: the domain is now at our registrar.',
);
export const DomainRenewed = domainResult(
  'provisioning.domain.renewed.v1',
  "The domain was renewed (once per renewal request); expiresAt is the registrar's new expiry.",
);

export const DomainExpiryChanged = defineEvent(
  'provisioning.domain.expiry_changed.v1',
  "The registrar's expiry date differs from the one provisioning knew (sync drift, a renewal elsewhere, a callback).",
  z.object({
    /** Absent when the domain is not tied to one of billing's client services. */
    domainServiceId: Id.optional(),
    domain: Domain,
    expiresAt: ExpiresAt,
    previousExpiresAt: ExpiresAt.nullable(),
  }),
);

export const DomainRegistrationFailed = defineEvent(
  'provisioning.domain.registration_failed.v1',
  'Provisioning gave up on registering or transferring a domain (refused by the registrar, or retries spent).',
  z.object({
    domainServiceId: Id,
    domain: Domain,
    reason: z.string().min(1).max(1000),
  }),
);

export const domainEvents = [
  DomainRegisterRequested,
  DomainTransferRequested,
  DomainRenewRequested,
  DomainRegistered,
  DomainTransferred,
  DomainRenewed,
  DomainExpiryChanged,
  DomainRegistrationFailed,
] as const;
