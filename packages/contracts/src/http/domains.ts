import { z } from 'zod';
import { Currency, Domain, Id } from '../events/common';
import { DomainTld, RegistrarKind } from '../events/domains';

// --- the answers of provisioning's domain API, as they go on the wire ---
// No answer ever carries a registrar credential or a webhook secret; an EPP code only goes to the client
// the domain belongs to and its tenant's staff, in the answer of the call that asked for it.

const Timestamp = z.iso.datetime();
const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const Amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A registrar account of a tenant (the platform's, or a reseller's own account at a registrar). */
export const RegistrarAccountView = z.object({
  id: Id,
  tenantId: Id,
  name: z.string().min(1).max(200),
  registrar: RegistrarKind,
  /** The API's base URL (its test environment, or a local stand-in in the demo). */
  endpoint: z.url(),
  /** The URL the registrar signs its webhooks with (Name.com), when it pushes. */
  webhookUrl: z.url().nullable(),
  /** Whether a webhook secret is set for the generic HMAC scheme (never the secret). */
  webhookSecretSet: z.boolean(),
  enabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type RegistrarAccountView = z.infer<typeof RegistrarAccountView>;
export const RegistrarAccountList = itemsOf(RegistrarAccountView);
export type RegistrarAccountList = z.infer<typeof RegistrarAccountList>;

/** The registrar account a tenant registers a TLD's domains with. */
export const TldRegistrarView = z.object({
  tenantId: Id,
  tld: DomainTld,
  accountId: Id,
  updatedAt: Timestamp,
});
export type TldRegistrarView = z.infer<typeof TldRegistrarView>;
export const TldRegistrarList = itemsOf(TldRegistrarView);
export type TldRegistrarList = z.infer<typeof TldRegistrarList>;

export const DomainStatus = z
  .enum(['pending', 'transfer_pending', 'active', 'expired', 'failed', 'cancelled'])
  .describe(
    'pending: registration requested; transfer_pending: transfer in progress; failed/cancelled: never became ours',
  );
export type DomainStatus = z.infer<typeof DomainStatus>;

export const DomainDrift = z
  .enum(['expiry', 'status', 'missing'])
  .describe('What the registrar said differently at the last sync (expiry: a date we did not know)');

export const DomainView = z.object({
  id: Id,
  tenantId: Id,
  domainServiceId: Id,
  clientId: Id,
  domain: Domain,
  tld: DomainTld,
  registrar: RegistrarKind.nullable(),
  status: DomainStatus,
  expiresAt: Timestamp.nullable(),
  nameservers: z.array(Domain),
  locked: z.boolean().nullable(),
  privacy: z.boolean(),
  drift: DomainDrift.nullable(),
  syncedAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type DomainView = z.infer<typeof DomainView>;
export const DomainList = itemsOf(DomainView);
export type DomainList = z.infer<typeof DomainList>;

export const DomainJobAction = z.enum([
  'register',
  'transfer',
  'renew',
  'nameservers',
  'lock',
  'privacy',
  'contacts',
  'child_host',
  'dns',
  'callback',
]);
export type DomainJobAction = z.infer<typeof DomainJobAction>;

export const DomainJobView = z.object({
  id: Id,
  tenantId: Id,
  domainId: Id,
  action: DomainJobAction,
  status: z.enum(['pending', 'running', 'done', 'failed']),
  attempts: z.number().int().min(0),
  maxAttempts: z.number().int().min(1),
  nextRunAt: Timestamp,
  lastError: z.string().nullable().describe("The registrar's reason for the last failed attempt"),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  finishedAt: Timestamp.nullable(),
});
export type DomainJobView = z.infer<typeof DomainJobView>;
export const DomainJobList = itemsOf(DomainJobView);
export type DomainJobList = z.infer<typeof DomainJobList>;

/** A DNS record at the registrar's DNS (host relative to the domain: `@` for the domain itself). */
export const DnsRecordView = z.object({
  type: z.enum(['A', 'AAAA', 'CNAME', 'MX', 'TXT']),
  host: z.string().min(1).max(253),
  answer: z.string().min(1).max(1024),
  ttl: z.number().int().min(60).max(86_400),
  priority: z.number().int().min(0).max(65_535).nullable(),
});
export type DnsRecordView = z.infer<typeof DnsRecordView>;
export const DnsRecordList = itemsOf(DnsRecordView);
export type DnsRecordList = z.infer<typeof DnsRecordList>;

/** POST /v1/domains/:id/epp-code: the transfer-out code, read from the registrar now. */
export const EppCodeView = z.object({ domain: Domain, eppCode: z.string().min(1).max(64) });
export type EppCodeView = z.infer<typeof EppCodeView>;

/** One name of an availability search, with the tenant's price for a year when catalog has one. */
export const DomainAvailabilityView = z.object({
  domain: Domain,
  tld: DomainTld,
  available: z.boolean().nullable().describe('null: the registrar could not tell now (try again later)'),
  premium: z.boolean(),
  reason: z.string().max(500).optional(),
  price: z
    .object({
      currency: Currency,
      years: z.number().int().min(1).max(10),
      register: Amount,
      renew: Amount,
      transfer: Amount,
    })
    .nullable(),
});
export type DomainAvailabilityView = z.infer<typeof DomainAvailabilityView>;
export const DomainAvailabilityList = itemsOf(DomainAvailabilityView);
export type DomainAvailabilityList = z.infer<typeof DomainAvailabilityList>;

/** What a registrar's callback is answered (fast: it is processed afterwards, in a job). */
export const RegistrarCallbackAck = z.object({ received: z.literal(true), duplicate: z.boolean() });
export type RegistrarCallbackAck = z.infer<typeof RegistrarCallbackAck>;
