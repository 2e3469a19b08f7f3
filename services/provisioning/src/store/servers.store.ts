import { type PanelModule } from '@geminis/contracts';
import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { iso, tenantIs, writeTenant } from './sql';

/** A server as the service handles it; its sealed credentials are only read by `findServerCredentials`. */
export interface Server {
  id: string;
  tenantId: string;
  groupId: string | null;
  name: string;
  module: PanelModule;
  hostname: string;
  port: number;
  tls: boolean;
  ipAddress: string | null;
  nameservers: string[];
  maxAccounts: number;
  enabled: boolean;
  sortOrder: number;
  createdAt: string;
  updatedAt: string;
}

interface ServerRow {
  id: string;
  tenant_id: string;
  group_id: string | null;
  name: string;
  module: PanelModule;
  hostname: string;
  port: number;
  tls: boolean;
  ip_address: string | null;
  nameservers: string[];
  max_accounts: number;
  enabled: boolean;
  sort_order: number;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = sql`id, tenant_id, group_id, name, module, hostname, port, tls, ip_address, nameservers, max_accounts,
                    enabled, sort_order, created_at, updated_at`;

export const toServer = (r: ServerRow): Server => ({
  id: r.id,
  tenantId: r.tenant_id,
  groupId: r.group_id,
  name: r.name,
  module: r.module,
  hostname: r.hostname,
  port: r.port,
  tls: r.tls,
  ipAddress: r.ip_address,
  nameservers: r.nameservers,
  maxAccounts: r.max_accounts,
  enabled: r.enabled,
  sortOrder: r.sort_order,
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const textArray = (values: string[]) => sql`${`{${values.join(',')}}`}::text[]`;

export type NewServer = Omit<Server, 'tenantId' | 'createdAt' | 'updatedAt'> & { sealedCredentials: string };

export async function insertServer(tx: Tx, scope: TenantScope, s: NewServer): Promise<Server> {
  const [r] = await rows<ServerRow>(
    tx,
    sql`insert into servers (id, tenant_id, group_id, name, module, hostname, port, tls, ip_address, credentials,
                             nameservers, max_accounts, enabled, sort_order)
        values (${s.id}, ${writeTenant(scope)}, ${s.groupId}, ${s.name}, ${s.module}, ${s.hostname}, ${s.port},
                ${s.tls}, ${s.ipAddress}, ${s.sealedCredentials}, ${textArray(s.nameservers)}, ${s.maxAccounts},
                ${s.enabled}, ${s.sortOrder})
        returning ${COLUMNS}`,
  );
  return toServer(r!);
}

/** Writes the full new state of a server (the service merged and validated the patch). */
export async function saveServer(
  tx: Tx,
  scope: TenantScope,
  s: Server,
  sealedCredentials?: string,
): Promise<Server | null> {
  const [r] = await rows<ServerRow>(
    tx,
    sql`update servers set group_id = ${s.groupId}, name = ${s.name}, hostname = ${s.hostname}, port = ${s.port},
               tls = ${s.tls}, ip_address = ${s.ipAddress}, nameservers = ${textArray(s.nameservers)}, max_accounts = ${s.maxAccounts},
               enabled = ${s.enabled}, sort_order = ${s.sortOrder},
               credentials = coalesce(${sealedCredentials ?? null}, credentials), updated_at = now()
        where ${tenantIs(scope)} and id = ${s.id} returning ${COLUMNS}`,
  );
  return r ? toServer(r) : null;
}

export async function findServer(tx: Tx, scope: TenantScope, id: string): Promise<Server | null> {
  const [r] = await rows<ServerRow>(
    tx,
    sql`select ${COLUMNS} from servers where ${tenantIs(scope)} and id = ${id}`,
  );
  return r ? toServer(r) : null;
}

/** The sealed credentials of one server, for a call to its panel (never for an answer). */
export async function findServerCredentials(tx: Tx, scope: TenantScope, id: string): Promise<string | null> {
  const [r] = await rows<{ credentials: string }>(
    tx,
    sql`select credentials from servers where ${tenantIs(scope)} and id = ${id}`,
  );
  return r?.credentials ?? null;
}

export async function listServers(
  tx: Tx,
  scope: TenantScope,
  filter: { groupId?: string; module?: PanelModule; enabledOnly?: boolean } = {},
): Promise<Server[]> {
  const rs = await rows<ServerRow>(
    tx,
    sql`select ${COLUMNS} from servers where ${tenantIs(scope)}
          ${filter.groupId ? sql`and group_id = ${filter.groupId}` : sql``}
          ${filter.module ? sql`and module = ${filter.module}` : sql``}
          ${filter.enabledOnly ? sql`and enabled` : sql``}
        order by tenant_id, sort_order, name`,
  );
  return rs.map(toServer);
}

export async function deleteServer(tx: Tx, scope: TenantScope, id: string): Promise<boolean> {
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from servers where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0;
}

/**
 * THE cross-tenant read of accounts: how many live (not terminated) accounts each of these servers holds,
 * whoever's clients they belong to (a platform server carries resellers' clients too). It answers counts
 * only, for server ids the caller already read in its own scope; run it with `withTenant(allTenants, …)`.
 */
export async function liveAccountCounts(tx: Tx, serverIds: string[]): Promise<Map<string, number>> {
  if (serverIds.length === 0) return new Map();
  const rs = await rows<{ server_id: string; n: number }>(
    tx,
    sql`select server_id, count(*)::int as n from accounts
        where server_id = any(${`{${serverIds.join(',')}}`}::uuid[]) and status <> 'terminated'
        group by server_id`,
  );
  return new Map(rs.map((r) => [r.server_id, r.n]));
}

/**
 * THE cross-tenant read of one server for the job runner (run with `withTenant(allTenants, …)`): the
 * server an account was placed on, which may be the platform's while the account is a reseller's client's.
 * Pinned to that one id; it answers the sealed credentials for the call to the panel, never to a caller.
 */
export async function readServerOfAccount(
  tx: Tx,
  serverId: string,
): Promise<{ server: Server; sealed: string } | null> {
  const [r] = await rows<ServerRow & { credentials: string }>(
    tx,
    sql`select ${COLUMNS}, credentials from servers where id = ${serverId}`,
  );
  return r ? { server: toServer(r), sealed: r.credentials } : null;
}
