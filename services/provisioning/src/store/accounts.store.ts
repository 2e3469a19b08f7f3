import { type AccountStatus } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, isoOrNull, tenantIs, writeTenant } from './sql';
import { type Drift } from './sync.store';

export type AccountModule = 'cpanel' | 'plesk' | 'directadmin' | 'none';

/** A provisioned account; its sealed password is only read by `findAccountPassword`. */
export interface Account {
  id: string;
  tenantId: string;
  serviceId: string;
  clientId: string;
  productId: string;
  module: AccountModule;
  serverId: string | null;
  host: string | null;
  username: string | null;
  domain: string | null;
  package: string | null;
  status: AccountStatus;
  /** Last comparison with the panel, and how it differed (null: in line, or never compared). */
  syncedAt: string | null;
  drift: Drift | null;
  createdAt: string;
  updatedAt: string;
}

interface AccountRow {
  id: string;
  tenant_id: string;
  service_id: string;
  client_id: string;
  product_id: string;
  module: AccountModule;
  server_id: string | null;
  host: string | null;
  username: string | null;
  domain: string | null;
  package: string | null;
  status: AccountStatus;
  synced_at: Date | null;
  drift: Drift | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = sql`id, tenant_id, service_id, client_id, product_id, module, server_id, host, username, domain,
                    package, status, synced_at, drift, created_at, updated_at`;

const toAccount = (r: AccountRow): Account => ({
  id: r.id,
  tenantId: r.tenant_id,
  serviceId: r.service_id,
  clientId: r.client_id,
  productId: r.product_id,
  module: r.module,
  serverId: r.server_id,
  host: r.host,
  username: r.username,
  domain: r.domain,
  package: r.package,
  status: r.status,
  syncedAt: isoOrNull(r.synced_at),
  drift: r.drift,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export type NewAccount = Omit<Account, 'tenantId' | 'createdAt' | 'updatedAt' | 'syncedAt' | 'drift'> & {
  sealedPassword: string | null;
};

/** Inserts an account; a taken (server, username) raises the unique violation for the caller to handle. */
export async function insertAccount(tx: Tx, scope: TenantScope, a: NewAccount): Promise<Account> {
  const [r] = await rows<AccountRow>(
    tx,
    sql`insert into accounts (id, tenant_id, service_id, client_id, product_id, module, server_id, host, username,
                              domain, package, password, status)
        values (${a.id}, ${writeTenant(scope)}, ${a.serviceId}, ${a.clientId}, ${a.productId}, ${a.module},
                ${a.serverId}, ${a.host}, ${a.username}, ${a.domain}, ${a.package}, ${a.sealedPassword}, ${a.status})
        returning ${COLUMNS}`,
  );
  return toAccount(r!);
}

export async function setAccountStatus(
  tx: Tx,
  scope: TenantScope,
  id: string,
  status: AccountStatus,
): Promise<Account | null> {
  const [r] = await rows<AccountRow>(
    tx,
    sql`update accounts set status = ${status}, updated_at = now()
        where ${tenantIs(scope)} and id = ${id} returning ${COLUMNS}`,
  );
  return r ? toAccount(r) : null;
}

/** The account's new panel password (sealed), once the panel took it. */
export async function setAccountPassword(
  tx: Tx,
  scope: TenantScope,
  id: string,
  sealedPassword: string,
): Promise<void> {
  await tx.execute(
    sql`update accounts set password = ${sealedPassword}, updated_at = now() where ${tenantIs(scope)} and id = ${id}`,
  );
}

/** The account's product and panel package after a change of package. */
export async function setAccountPackage(
  tx: Tx,
  scope: TenantScope,
  id: string,
  productId: string,
  pkg: string | null,
): Promise<void> {
  await tx.execute(
    sql`update accounts set product_id = ${productId}, package = ${pkg}, updated_at = now()
        where ${tenantIs(scope)} and id = ${id}`,
  );
}

/** Moves a pending account to another user name (the first one is someone else's on the panel). */
export async function renameAccount(tx: Tx, scope: TenantScope, id: string, username: string): Promise<void> {
  await tx.execute(
    sql`update accounts set username = ${username}, updated_at = now()
        where ${tenantIs(scope)} and id = ${id} and status = 'pending'`,
  );
}

export async function findAccount(tx: Tx, scope: TenantScope, id: string): Promise<Account | null> {
  const [r] = await rows<AccountRow>(
    tx,
    sql`select ${COLUMNS} from accounts where ${tenantIs(scope)} and id = ${id}`,
  );
  return r ? toAccount(r) : null;
}

export async function findAccountOfService(
  tx: Tx,
  scope: TenantScope,
  serviceId: string,
): Promise<Account | null> {
  const [r] = await rows<AccountRow>(
    tx,
    sql`select ${COLUMNS} from accounts where ${tenantIs(scope)} and service_id = ${serviceId}`,
  );
  return r ? toAccount(r) : null;
}

/** The sealed panel password of one account (for the runner and the credentials answer only). */
export async function findAccountPassword(tx: Tx, scope: TenantScope, id: string): Promise<string | null> {
  const [r] = await rows<{ password: string | null }>(
    tx,
    sql`select password from accounts where ${tenantIs(scope)} and id = ${id}`,
  );
  return r?.password ?? null;
}

export async function listAccounts(
  tx: Tx,
  scope: TenantScope,
  filter: { clientId?: string; status?: AccountStatus; drifted?: boolean } = {},
): Promise<Account[]> {
  const rs = await rows<AccountRow>(
    tx,
    sql`select ${COLUMNS} from accounts where ${tenantIs(scope)}
          ${filter.clientId ? sql`and client_id = ${filter.clientId}` : sql``}
          ${filter.status ? sql`and status = ${filter.status}` : sql``}
          ${filter.drifted ? sql`and drift is not null` : sql``}
        order by created_at desc, id desc limit 500`,
  );
  return rs.map(toAccount);
}
