import { type RegistrantContact, type RegistrarKind } from '@geminis/contracts';
import { PanelError } from '../modules/panel';

/**
 * Registrar failures use the panels' error kinds (one vocabulary for the job runner):
 * `auth` (credentials or IP allow-list refused), `rejected` (the registrar said no), `not_found`,
 * `unavailable` (not reached, 5xx, breaker open) and `timeout` (sent, no answer: read state first).
 */
export { PanelError as RegistrarError, isPanelError as isRegistrarError } from '../modules/panel';

export const registrarError = (kind: PanelError['kind'], message: string) => new PanelError(kind, message);

/** A DNS record at the registrar (host relative to the domain, `@` for the apex). */
export interface DnsRecord {
  type: 'A' | 'AAAA' | 'CNAME' | 'MX' | 'TXT';
  host: string;
  answer: string;
  ttl: number;
  priority: number | null;
}

/** A domain as its registrar reports it. */
export interface RegistrarDomain {
  domain: string;
  /** The registrar's handle for it (LogicBoxes order id, Namecheap DomainID), when it has one. */
  ref: string | null;
  status: 'active' | 'pending' | 'expired' | 'other';
  expiresAt: string | null;
  nameservers: string[];
  locked: boolean | null;
  privacy: boolean | null;
}

export interface Availability {
  domain: string;
  /** null: the registrar could not tell now. */
  available: boolean | null;
  premium: boolean;
  reason?: string;
}

export interface NewRegistration {
  domain: string;
  years: number;
  nameservers: string[];
  privacy: boolean;
  registrant: RegistrantContact;
}

export type TransferState = 'pending' | 'completed' | 'failed' | 'cancelled';

/**
 * The one registrar contract every adapter implements. Every method does what it says or throws a
 * RegistrarError; each adapter normalises its API's envelopes in one place. Mutations are never repeated
 * by an adapter: the job steps read state (`info`) before and after one that timed out.
 */
export interface RegistrarAdapter {
  readonly kind: RegistrarKind;
  testConnection(): Promise<void>;
  /** Availability of up to `maxBatch` names at once. */
  check(domains: string[]): Promise<Availability[]>;
  readonly maxBatch: number;
  /** The domain in this account, or null when the account does not hold it. */
  info(domain: string, ref?: string | null): Promise<RegistrarDomain | null>;
  register(r: NewRegistration): Promise<{ ref: string | null }>;
  transfer(r: NewRegistration & { eppCode: string }): Promise<{ transferRef: string | null }>;
  transferStatus(domain: string, transferRef: string | null): Promise<TransferState>;
  /** Renews from `currentExpiresAt` (the expiry read just before, which some registrars require). */
  renew(domain: string, ref: string | null, years: number, currentExpiresAt: string): Promise<void>;
  setNameservers(domain: string, ref: string | null, nameservers: string[]): Promise<void>;
  setLock(domain: string, ref: string | null, locked: boolean): Promise<void>;
  setPrivacy(domain: string, ref: string | null, enabled: boolean): Promise<void>;
  eppCode(domain: string, ref: string | null): Promise<string>;
  /** Replaces the registrant (and admin, tech, billing) contact. */
  setContacts(domain: string, ref: string | null, contact: RegistrantContact): Promise<void>;
  /** Creates or updates a private nameserver (a child host of the domain, e.g. ns1.<domain>). */
  setChildHost(domain: string, ref: string | null, hostname: string, ips: string[]): Promise<void>;
  /** The records of the registrar's DNS for the domain (when the registrar hosts its DNS). */
  dnsRecords(domain: string, ref: string | null): Promise<DnsRecord[]>;
  /** Makes the registrar's DNS hold exactly these records. */
  setDnsRecords(domain: string, ref: string | null, records: DnsRecord[]): Promise<void>;
}

/** How to reach one registrar account. */
export interface RegistrarConnection {
  accountId: string;
  registrar: RegistrarKind;
  endpoint: string;
  credentials: RegistrarCredentials;
}

export interface ResellerClubCredentials {
  resellerId: string;
  apiKey: string;
  webhookSecret?: string;
}
export interface NamecheapCredentials {
  apiUser: string;
  apiKey: string;
  userName: string;
  clientIp: string;
  webhookSecret?: string;
}
export interface NamecomCredentials {
  username: string;
  token: string;
  webhookSecret?: string;
}
export type RegistrarCredentials = ResellerClubCredentials | NamecheapCredentials | NamecomCredentials;

/** Splits a name into its first label and the rest (`example` + `co.uk`). */
export function splitDomain(domain: string): { sld: string; tld: string } {
  const dot = domain.indexOf('.');
  return { sld: domain.slice(0, dot), tld: domain.slice(dot + 1) };
}

/** A scalar as text ('' for anything else): registrar answers are loosely typed. */
export const scalar = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';

/** A date the registrar gave (epoch seconds, an ISO string, or `MM/DD/YYYY`) as ISO 8601, or null. */
export function isoDate(value: unknown): string | null {
  if (value === undefined || value === null || value === '') return null;
  const text = scalar(value);
  if (!text) return null;
  if (/^\d+$/.test(text)) {
    const d = new Date(Number(value) * 1000);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  const s = text;
  const us = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(s);
  const d = us ? new Date(Date.UTC(Number(us[3]), Number(us[1]) - 1, Number(us[2]))) : new Date(s);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
