import { type RegistrarKind } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, tenantIs, writeTenant } from './sql';

/** A registrar account as the service handles it; its sealed credentials only leave through `sealedOf`. */
export interface RegistrarAccount {
  id: string;
  tenantId: string;
  name: string;
  registrar: RegistrarKind;
  endpoint: string;
  webhookUrl: string | null;
  webhookSecretSet: boolean;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  id: string;
  tenant_id: string;
  name: string;
  registrar: RegistrarKind;
  endpoint: string;
  webhook_url: string | null;
  webhook_secret_set: boolean;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = sql`id, tenant_id, name, registrar, endpoint, webhook_url, webhook_secret_set, enabled, created_at,
                    updated_at`;

const toAccount = (r: Row): RegistrarAccount => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  registrar: r.registrar,
  endpoint: r.endpoint,
  webhookUrl: r.webhook_url,
  webhookSecretSet: r.webhook_secret_set,
  enabled: r.enabled,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export type NewRegistrarAccount = Omit<RegistrarAccount, 'tenantId' | 'createdAt' | 'updatedAt'> & {
  sealedCredentials: string;
};

export async function insertRegistrarAccount(
  tx: Tx,
  scope: TenantScope,
  a: NewRegistrarAccount,
): Promise<RegistrarAccount> {
  const [r] = await rows<Row>(
    tx,
    sql`insert into registrar_accounts (id, tenant_id, name, registrar, endpoint, webhook_url, webhook_secret_set,
                                        credentials, enabled)
        values (${a.id}, ${writeTenant(scope)}, ${a.name}, ${a.registrar}, ${a.endpoint}, ${a.webhookUrl},
                ${a.webhookSecretSet}, ${a.sealedCredentials}, ${a.enabled})
        returning ${COLUMNS}`,
  );
  return toAccount(r!);
}

export async function saveRegistrarAccount(
  tx: Tx,
  scope: TenantScope,
  a: RegistrarAccount,
  sealedCredentials?: string,
): Promise<RegistrarAccount> {
  const [r] = await rows<Row>(
    tx,
    sql`update registrar_accounts
           set name = ${a.name}, endpoint = ${a.endpoint}, webhook_url = ${a.webhookUrl},
               webhook_secret_set = ${a.webhookSecretSet}, enabled = ${a.enabled},
               ${sealedCredentials ? sql`credentials = ${sealedCredentials},` : sql``}
               updated_at = now()
         where ${tenantIs(scope)} and id = ${a.id}
        returning ${COLUMNS}`,
  );
  return toAccount(r!);
}

export async function findRegistrarAccount(tx: Tx, scope: TenantScope, id: string) {
  const [r] = await rows<Row>(
    tx,
    sql`select ${COLUMNS} from registrar_accounts where ${tenantIs(scope)} and id = ${id}`,
  );
  return r ? toAccount(r) : null;
}

export async function listRegistrarAccounts(tx: Tx, scope: TenantScope): Promise<RegistrarAccount[]> {
  const rs = await rows<Row>(
    tx,
    sql`select ${COLUMNS} from registrar_accounts where ${tenantIs(scope)} order by name, id`,
  );
  return rs.map(toAccount);
}

/** The sealed credentials of an account (for a call to its registrar; never for an answer). */
export async function sealedOf(tx: Tx, scope: TenantScope, id: string): Promise<string | null> {
  const [r] = await rows<{ credentials: string }>(
    tx,
    sql`select credentials from registrar_accounts where ${tenantIs(scope)} and id = ${id}`,
  );
  return r?.credentials ?? null;
}

/**
 * Whether any domain, of any tenant, is held through the account (run with `allTenants`: a platform account
 * holds resellers' clients' domains too). A count, never the domains.
 */
export async function accountHoldsDomains(tx: Tx, id: string): Promise<boolean> {
  const r = await rows<{ id: string }>(tx, sql`select id from domains where account_id = ${id} limit 1`);
  return r.length > 0;
}

/** Deletes an account no TLD default of its tenant uses; false when one does. */
export async function deleteRegistrarAccount(tx: Tx, scope: TenantScope, id: string): Promise<boolean> {
  const [used] = await rows<{ n: number }>(
    tx,
    sql`select count(*)::int as n from tld_registrars where ${tenantIs(scope)} and account_id = ${id}`,
  );
  if ((used?.n ?? 0) > 0) return false;
  await tx.execute(sql`delete from registrar_callbacks where ${tenantIs(scope)} and account_id = ${id}`);
  await tx.execute(sql`delete from registrar_accounts where ${tenantIs(scope)} and id = ${id}`);
  return true;
}

// --- the registrar a tenant uses per TLD ---

export interface TldRegistrar {
  tenantId: string;
  tld: string;
  accountId: string;
  updatedAt: string;
}

const toTld = (r: {
  tenant_id: string;
  tld: string;
  account_id: string;
  updated_at: Date;
}): TldRegistrar => ({
  tenantId: r.tenant_id,
  tld: r.tld,
  accountId: r.account_id,
  updatedAt: iso(r.updated_at),
});

export async function upsertTldRegistrar(tx: Tx, scope: TenantScope, tld: string, accountId: string) {
  const [r] = await rows<{ tenant_id: string; tld: string; account_id: string; updated_at: Date }>(
    tx,
    sql`insert into tld_registrars (tenant_id, tld, account_id) values (${writeTenant(scope)}, ${tld}, ${accountId})
        on conflict (tenant_id, tld) do update set account_id = excluded.account_id, updated_at = now()
        returning *`,
  );
  return toTld(r!);
}

export async function deleteTldRegistrar(tx: Tx, scope: TenantScope, tld: string): Promise<boolean> {
  const r = await rows<{ tld: string }>(
    tx,
    sql`delete from tld_registrars where ${tenantIs(scope)} and tld = ${tld} returning tld`,
  );
  return r.length > 0;
}

export async function listTldRegistrars(tx: Tx, scope: TenantScope): Promise<TldRegistrar[]> {
  const rs = await rows<{ tenant_id: string; tld: string; account_id: string; updated_at: Date }>(
    tx,
    sql`select * from tld_registrars where ${tenantIs(scope)} order by tld`,
  );
  return rs.map(toTld);
}

/**
 * The account a tenant registers a domain with (cross-tenant by design, run with `allTenants`): the
 * tenant's own default for the TLD (longest TLD first: `.co.uk` before `.uk`), else the platform's — a
 * reseller without its own registrar account resells through the platform's. Enabled accounts only.
 */
export async function accountForTld(
  tx: Tx,
  tenantId: string,
  platformTenantId: string,
  tld: string,
): Promise<{ accountId: string; tenantId: string; tld: string } | null> {
  const [r] = await rows<{ account_id: string; tenant_id: string; tld: string }>(
    tx,
    sql`select t.account_id, t.tenant_id, t.tld from tld_registrars t
          join registrar_accounts a on a.tenant_id = t.tenant_id and a.id = t.account_id and a.enabled
        where t.tenant_id in (${tenantId}, ${platformTenantId})
          and (${tld} = t.tld or ${tld} like '%' || t.tld)
        order by (t.tenant_id = ${tenantId}) desc, length(t.tld) desc
        limit 1`,
  );
  return r ? { accountId: r.account_id, tenantId: r.tenant_id, tld: r.tld } : null;
}

/** An account by id whatever its tenant (the job runner and the callback route; never an answer). */
export async function findAccountAnyTenant(tx: Tx, id: string) {
  const [r] = await rows<Row & { credentials: string }>(
    tx,
    sql`select ${COLUMNS}, credentials from registrar_accounts where id = ${id}`,
  );
  return r ? { account: toAccount(r), sealed: r.credentials } : null;
}
