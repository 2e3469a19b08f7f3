import { type DomainStatus, type RegistrantContact, type RegistrarKind } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, isoOrNull, json, tenantIs, writeTenant } from './sql';

export type DomainDrift = 'expiry' | 'status' | 'missing';

export interface DomainRecord {
  id: string;
  tenantId: string;
  domainServiceId: string;
  clientId: string;
  domain: string;
  tld: string;
  accountId: string | null;
  registrar: RegistrarKind | null;
  registrarRef: string | null;
  transferRef: string | null;
  status: DomainStatus;
  expiresAt: string | null;
  nameservers: string[];
  locked: boolean | null;
  privacy: boolean;
  registrant: RegistrantContact | null;
  drift: DomainDrift | null;
  syncedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  domain_service_id: string;
  client_id: string;
  domain: string;
  tld: string;
  account_id: string | null;
  registrar: RegistrarKind | null;
  registrar_ref: string | null;
  transfer_ref: string | null;
  status: DomainStatus;
  expires_at: Date | null;
  nameservers: string[];
  locked: boolean | null;
  privacy: boolean;
  registrant: RegistrantContact | null;
  drift: DomainDrift | null;
  synced_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const toDomain = (r: Row): DomainRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  domainServiceId: r.domain_service_id,
  clientId: r.client_id,
  domain: r.domain,
  tld: r.tld,
  accountId: r.account_id,
  registrar: r.registrar,
  registrarRef: r.registrar_ref,
  transferRef: r.transfer_ref,
  status: r.status,
  expiresAt: isoOrNull(r.expires_at),
  nameservers: r.nameservers,
  locked: r.locked,
  privacy: r.privacy,
  registrant: r.registrant,
  drift: r.drift,
  syncedAt: isoOrNull(r.synced_at),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export const textArray = (values: string[]) => sql`${`{${values.join(',')}}`}::text[]`;

export interface NewDomain {
  id: string;
  domainServiceId: string;
  clientId: string;
  domain: string;
  tld: string;
  status: DomainStatus;
  nameservers: string[];
  privacy: boolean;
  registrant: RegistrantContact | null;
}

/** The domain of a billing domain service: inserted once, found again on a redelivered request. */
export async function upsertDomain(tx: Tx, scope: TenantScope, d: NewDomain): Promise<DomainRecord> {
  await tx.execute(
    sql`insert into domains (id, tenant_id, domain_service_id, client_id, domain, tld, status, nameservers, privacy,
                             registrant)
        values (${d.id}, ${writeTenant(scope)}, ${d.domainServiceId}, ${d.clientId}, ${d.domain}, ${d.tld},
                ${d.status}, ${textArray(d.nameservers)}, ${d.privacy},
                ${d.registrant ? json(d.registrant) : null})
        on conflict (tenant_id, domain_service_id) do nothing`,
  );
  return (await findDomainByService(tx, scope, d.domainServiceId))!;
}

export async function findDomainByService(tx: Tx, scope: TenantScope, domainServiceId: string) {
  const [r] = await rows<Row>(
    tx,
    sql`select * from domains where ${tenantIs(scope)} and domain_service_id = ${domainServiceId}`,
  );
  return r ? toDomain(r) : null;
}

export async function findDomain(tx: Tx, scope: TenantScope, id: string, clientId?: string) {
  const [r] = await rows<Row>(
    tx,
    sql`select * from domains where ${tenantIs(scope)} and id = ${id}
          ${clientId ? sql`and client_id = ${clientId}` : sql``}`,
  );
  return r ? toDomain(r) : null;
}

/** The domain row locked for the rest of the transaction (a completion applies once whatever raced it). */
export async function lockDomain(tx: Tx, scope: TenantScope, id: string) {
  const [r] = await rows<Row>(
    tx,
    sql`select * from domains where ${tenantIs(scope)} and id = ${id} for update`,
  );
  return r ? toDomain(r) : null;
}

/**
 * Whether another domain service (of any tenant: run with `allTenants`) already holds this name: a
 * registration that finds the name in our registrar account adopts it only when it is not someone else's.
 */
export async function heldByAnother(tx: Tx, domain: string, id: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`select id from domains where domain = ${domain} and id <> ${id}
          and status in ('active', 'expired', 'transfer_pending') limit 1`,
  );
  return r.length > 0;
}

/** The latest domain of that name held through an account (a callback's subject), in that tenant. */
export async function findDomainOfAccount(tx: Tx, scope: TenantScope, accountId: string, domain: string) {
  const [r] = await rows<Row>(
    tx,
    sql`select * from domains where ${tenantIs(scope)} and account_id = ${accountId} and domain = ${domain}
        order by created_at desc limit 1`,
  );
  return r ? toDomain(r) : null;
}

export async function listDomains(tx: Tx, scope: TenantScope, clientId?: string): Promise<DomainRecord[]> {
  const rs = await rows<Row>(
    tx,
    sql`select * from domains where ${tenantIs(scope)} ${clientId ? sql`and client_id = ${clientId}` : sql``}
        order by created_at desc, id desc limit 500`,
  );
  return rs.map(toDomain);
}

export interface DomainChange {
  accountId?: string | null;
  registrar?: RegistrarKind | null;
  registrarRef?: string | null;
  transferRef?: string | null;
  status?: DomainStatus;
  expiresAt?: string | null;
  nameservers?: string[];
  locked?: boolean | null;
  privacy?: boolean;
  drift?: DomainDrift | null;
  syncedAt?: string | null;
  registrant?: RegistrantContact;
}

export async function updateDomain(tx: Tx, scope: TenantScope, id: string, c: DomainChange) {
  const sets = [
    c.accountId !== undefined ? sql`account_id = ${c.accountId}` : null,
    c.registrar !== undefined ? sql`registrar = ${c.registrar}` : null,
    c.registrarRef !== undefined ? sql`registrar_ref = ${c.registrarRef}` : null,
    c.transferRef !== undefined ? sql`transfer_ref = ${c.transferRef}` : null,
    c.status !== undefined ? sql`status = ${c.status}` : null,
    c.expiresAt !== undefined ? sql`expires_at = ${c.expiresAt}` : null,
    c.nameservers !== undefined ? sql`nameservers = ${textArray(c.nameservers)}` : null,
    c.locked !== undefined ? sql`locked = ${c.locked}` : null,
    c.privacy !== undefined ? sql`privacy = ${c.privacy}` : null,
    c.drift !== undefined ? sql`drift = ${c.drift}` : null,
    c.syncedAt !== undefined ? sql`synced_at = ${c.syncedAt}` : null,
    c.registrant !== undefined ? sql`registrant = ${json(c.registrant)}` : null,
  ].filter((s) => s !== null);
  await tx.execute(
    sql`update domains set ${sql.join([...sets, sql`updated_at = now()`], sql`, `)}
        where ${tenantIs(scope)} and id = ${id}`,
  );
}

/**
 * THE cross-tenant sync selection (run with `allTenants`): per registrar account, up to `perAccount`
 * registered domains least recently compared — a bounded batch, never every domain at once.
 */
export async function dueForDomainSync(tx: Tx, perAccount: number): Promise<DomainRecord[]> {
  const rs = await rows<Row>(
    tx,
    sql`select d.* from (
          select d.*, row_number() over (partition by d.account_id order by d.synced_at nulls first, d.id) as n
          from domains d where d.account_id is not null and d.status in ('active', 'expired')) d
        where d.n <= ${perAccount}
        order by d.account_id, d.n`,
  );
  return rs.map(toDomain);
}
