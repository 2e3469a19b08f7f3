import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

// --- recipients: the clients identity told support about ---

export interface Recipient {
  clientId: string;
  email: string;
  name: string;
  language: string;
}

interface RecipientRow {
  client_id: string;
  email: string;
  name: string;
  language: string;
}
const toRecipient = (r: RecipientRow): Recipient => ({
  clientId: r.client_id,
  email: r.email,
  name: r.name,
  language: r.language,
});

export async function upsertRecipient(tx: Tx, scope: SingleTenantScope, r: Recipient): Promise<void> {
  await tx.execute(
    sql`insert into mail_recipients (tenant_id, client_id, email, name, language)
        values (${writeTenant(scope)}, ${r.clientId}, ${r.email}, ${r.name}, ${r.language})
        on conflict (tenant_id, client_id) do update
          set email = excluded.email, name = excluded.name, language = excluded.language,
              updated_at = clock_timestamp()`,
  );
}

export async function findRecipient(
  tx: Tx,
  scope: TenantScope,
  clientId: string,
): Promise<Recipient | undefined> {
  const [row] = await rows<RecipientRow>(
    tx,
    sql`select * from mail_recipients where ${tenantIs(scope)} and client_id = ${clientId}`,
  );
  return row && toRecipient(row);
}

/** The tenant's client with this address (addresses compare case-insensitively). */
export async function findRecipientByEmail(
  tx: Tx,
  scope: SingleTenantScope,
  email: string,
): Promise<Recipient | undefined> {
  const [row] = await rows<RecipientRow>(
    tx,
    sql`select * from mail_recipients where ${tenantIs(scope)} and lower(email) = lower(${email})
        order by updated_at desc limit 1`,
  );
  return row && toRecipient(row);
}

// --- brands: identity's answer, kept until identity says it changed ---

export interface Brand {
  brandName: string;
  logoUrl: string | null;
  supportEmail: string | null;
  /** The tenant's storefront host (its first custom domain), if it has one. */
  storefrontHost?: string | null;
}

export async function findBrand(
  tx: Tx,
  scope: SingleTenantScope,
): Promise<(Brand & { fetchedAt: Date | null }) | undefined> {
  const [row] = await rows<{
    brand_name: string;
    logo_url: string | null;
    support_email: string | null;
    storefront_host: string | null;
    fetched_at: Date | null;
  }>(tx, sql`select * from tenant_brands where ${tenantIs(scope)}`);
  return (
    row && {
      brandName: row.brand_name,
      logoUrl: row.logo_url,
      supportEmail: row.support_email,
      storefrontHost: row.storefront_host,
      fetchedAt: row.fetched_at && new Date(row.fetched_at),
    }
  );
}

export async function saveBrand(tx: Tx, scope: SingleTenantScope, b: Brand, at: Date): Promise<void> {
  await tx.execute(
    sql`insert into tenant_brands (tenant_id, brand_name, logo_url, support_email, storefront_host, fetched_at)
        values (${writeTenant(scope)}, ${b.brandName}, ${b.logoUrl}, ${b.supportEmail},
                ${b.storefrontHost ?? null}, ${at})
        on conflict (tenant_id) do update
          set brand_name = excluded.brand_name, logo_url = excluded.logo_url,
              support_email = excluded.support_email, storefront_host = excluded.storefront_host,
              fetched_at = excluded.fetched_at`,
  );
}

export async function markBrandStale(tx: Tx, scope: TenantScope): Promise<void> {
  await tx.execute(sql`update tenant_brands set fetched_at = null where ${tenantIs(scope)}`);
}

// --- template overrides ---

export interface TemplateOverride {
  template: string;
  language: string;
  subject: string;
  html: string;
  text: string;
  updatedAt: Date;
}
interface OverrideRow {
  template: string;
  language: string;
  subject: string;
  html: string;
  text: string;
  updated_at: Date;
}
const toOverride = (r: OverrideRow): TemplateOverride => ({
  template: r.template,
  language: r.language,
  subject: r.subject,
  html: r.html,
  text: r.text,
  updatedAt: new Date(r.updated_at),
});

export async function listOverrides(tx: Tx, scope: SingleTenantScope): Promise<TemplateOverride[]> {
  const found = await rows<OverrideRow>(
    tx,
    sql`select * from mail_templates where ${tenantIs(scope)} order by template, language`,
  );
  return found.map(toOverride);
}

export async function findOverride(
  tx: Tx,
  scope: SingleTenantScope,
  template: string,
  language: string,
): Promise<TemplateOverride | undefined> {
  const [row] = await rows<OverrideRow>(
    tx,
    sql`select * from mail_templates
        where ${tenantIs(scope)} and template = ${template} and language = ${language}`,
  );
  return row && toOverride(row);
}

export async function saveOverride(
  tx: Tx,
  scope: SingleTenantScope,
  o: Omit<TemplateOverride, 'updatedAt'>,
): Promise<TemplateOverride> {
  const [row] = await rows<OverrideRow>(
    tx,
    sql`insert into mail_templates (tenant_id, template, language, subject, html, text)
        values (${writeTenant(scope)}, ${o.template}, ${o.language}, ${o.subject}, ${o.html}, ${o.text})
        on conflict (tenant_id, template, language) do update
          set subject = excluded.subject, html = excluded.html, text = excluded.text,
              updated_at = clock_timestamp()
        returning *`,
  );
  return toOverride(row!);
}

export async function deleteOverride(
  tx: Tx,
  scope: SingleTenantScope,
  template: string,
  language: string,
): Promise<boolean> {
  const gone = await rows<{ template: string }>(
    tx,
    sql`delete from mail_templates
        where ${tenantIs(scope)} and template = ${template} and language = ${language} returning template`,
  );
  return gone.length > 0;
}

// --- the queue of mails ---

export type MailStatus = 'pending' | 'sent' | 'failed' | 'bounced' | 'suppressed';

export interface Mail {
  id: string;
  tenantId: string;
  eventId: string;
  template: string;
  clientId: string | null;
  recipient: string | null;
  language: string;
  vars: Record<string, string>;
  replyTo: string | null;
  status: MailStatus;
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  subject: string | null;
  createdAt: Date;
  sentAt: Date | null;
  /** Times it came back for now (soft bounces) and was sent again. */
  softBounces: number;
}

interface MailRow {
  id: string;
  tenant_id: string;
  event_id: string;
  template: string;
  client_id: string | null;
  recipient: string | null;
  language: string;
  vars: Record<string, string>;
  reply_to: string | null;
  status: MailStatus;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  subject: string | null;
  created_at: Date;
  sent_at: Date | null;
  soft_bounces: number;
}

const toMail = (r: MailRow): Mail => ({
  id: r.id,
  tenantId: r.tenant_id,
  eventId: r.event_id,
  template: r.template,
  clientId: r.client_id,
  recipient: r.recipient,
  language: r.language,
  vars: r.vars,
  replyTo: r.reply_to,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at),
  lastError: r.last_error,
  subject: r.subject,
  createdAt: new Date(r.created_at),
  sentAt: r.sent_at && new Date(r.sent_at),
  softBounces: r.soft_bounces ?? 0,
});

export interface NewMail {
  id: string;
  eventId: string;
  template: string;
  clientId: string | null;
  recipient: string | null;
  language: string;
  vars: Record<string, string>;
  replyTo?: string | null;
  status: 'pending' | 'failed';
  lastError?: string | null;
}

/** Queues a mail; false when this event already queued this template (a redelivery). */
export async function enqueueMail(tx: Tx, scope: SingleTenantScope, m: NewMail, at: Date): Promise<boolean> {
  const made = await rows<{ id: string }>(
    tx,
    sql`insert into mail_outbox (id, tenant_id, event_id, template, client_id, recipient, language, vars,
                                 reply_to, status, last_error, next_attempt_at, created_at)
        values (${m.id}, ${writeTenant(scope)}, ${m.eventId}, ${m.template}, ${m.clientId}, ${m.recipient},
                ${m.language}, ${JSON.stringify(m.vars)}::jsonb, ${m.replyTo ?? null}, ${m.status},
                ${m.lastError ?? null}, ${at}, ${at})
        on conflict (tenant_id, event_id, template) do nothing
        returning id`,
  );
  return made.length > 0;
}

/**
 * Takes up to `limit` due mails for one sender for `leaseMs` (their next attempt moves past the lease, so
 * a sender that dies leaves them to be taken again), skipping rows another sender holds.
 */
export async function claimDueMails(
  tx: Tx,
  scope: TenantScope,
  at: Date,
  leaseMs: number,
  limit: number,
): Promise<Mail[]> {
  const found = await rows<MailRow>(
    tx,
    sql`update mail_outbox set next_attempt_at = ${new Date(at.getTime() + leaseMs)}
        where id in (select id from mail_outbox
                     where ${tenantIs(scope)} and status = 'pending' and next_attempt_at <= ${at}
                     order by next_attempt_at, id limit ${limit} for update skip locked)
        returning *`,
  );
  return found.map(toMail);
}

export async function markSent(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  recipient: string,
  subject: string,
  at: Date,
) {
  await tx.execute(
    sql`update mail_outbox set status = 'sent', sent_at = ${at}, subject = ${subject}, recipient = ${recipient},
                               attempts = attempts + 1, last_error = null
        where ${tenantIs(scope)} and id = ${id} and status = 'pending'`,
  );
}

/** A failed attempt: tried again at `retryAt`, or failed for good when retryAt is null. */
export async function markAttemptFailed(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  error: string,
  retryAt: Date | null,
) {
  await tx.execute(
    sql`update mail_outbox
        set attempts = attempts + 1, last_error = ${error.slice(0, 500)},
            status = ${retryAt ? 'pending' : 'failed'},
            next_attempt_at = coalesce(${retryAt}, next_attempt_at)
        where ${tenantIs(scope)} and id = ${id} and status = 'pending'`,
  );
}

/** One mail by id, in whichever tenant of the scope it is (a bounce names our Message-ID only). */
export async function findMail(tx: Tx, scope: TenantScope, id: string): Promise<Mail | undefined> {
  const [row] = await rows<MailRow>(
    tx,
    sql`select * from mail_outbox where ${tenantIs(scope)} and id = ${id}`,
  );
  return row && toMail(row);
}

/** A sent mail came back for good (a hard bounce). */
export async function markBounced(tx: Tx, scope: SingleTenantScope, id: string, error: string) {
  await tx.execute(
    sql`update mail_outbox set status = 'bounced', last_error = ${error.slice(0, 500)}
        where ${tenantIs(scope)} and id = ${id} and status in ('sent', 'pending')`,
  );
}

/**
 * A sent mail came back for now (a soft bounce): sent again at `retryAt`, until `maxSoftBounces` of them
 * make it failed. Returns the mail's status after, or undefined when it was not a sent mail.
 */
export async function softBounced(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  error: string,
  retryAt: Date,
  maxSoftBounces: number,
): Promise<MailStatus | undefined> {
  const [row] = await rows<{ status: MailStatus }>(
    tx,
    sql`update mail_outbox set soft_bounces = soft_bounces + 1, last_error = ${error.slice(0, 500)},
          status = case when soft_bounces + 1 >= ${maxSoftBounces} then 'failed' else 'pending' end,
          next_attempt_at = ${retryAt}, sent_at = null
        where ${tenantIs(scope)} and id = ${id} and status = 'sent'
        returning status`,
  );
  return row?.status;
}

/** A mail not sent because its address is suppressed (it bounced for good before). */
export async function markSuppressed(tx: Tx, scope: SingleTenantScope, id: string, error: string) {
  await tx.execute(
    sql`update mail_outbox set status = 'suppressed', last_error = ${error.slice(0, 500)}
        where ${tenantIs(scope)} and id = ${id} and status = 'pending'`,
  );
}

export async function listMails(
  tx: Tx,
  scope: TenantScope,
  q: { clientId?: string; status?: MailStatus; before?: string; limit: number },
): Promise<{ items: Mail[]; more: boolean }> {
  const found = await rows<MailRow>(
    tx,
    sql`select * from mail_outbox
        where ${tenantIs(scope)}
          ${q.clientId ? sql`and client_id = ${q.clientId}` : sql``}
          ${q.status ? sql`and status = ${q.status}` : sql``}
          ${q.before ? sql`and id < ${q.before}` : sql``}
        order by id desc limit ${q.limit + 1}`,
  );
  return { items: found.slice(0, q.limit).map(toMail), more: found.length > q.limit };
}

// --- domain services: whose they are ---

export async function rememberDomainClient(
  tx: Tx,
  scope: SingleTenantScope,
  domainServiceId: string,
  clientId: string,
): Promise<void> {
  await tx.execute(
    sql`insert into domain_service_clients (tenant_id, domain_service_id, client_id)
        values (${writeTenant(scope)}, ${domainServiceId}, ${clientId})
        on conflict (tenant_id, domain_service_id) do update set client_id = excluded.client_id`,
  );
}

export async function domainClient(
  tx: Tx,
  scope: SingleTenantScope,
  domainServiceId: string,
): Promise<string | undefined> {
  const [row] = await rows<{ client_id: string }>(
    tx,
    sql`select client_id from domain_service_clients
        where ${tenantIs(scope)} and domain_service_id = ${domainServiceId}`,
  );
  return row?.client_id;
}
