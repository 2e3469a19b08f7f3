import { type ServerView } from '@geminis/contracts';
import {
  allTenants,
  ConflictError,
  newId,
  type AuthContext,
  type Database,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { isPanelError, type PanelConnection } from '../modules/panel';
import { type Panels } from '../modules/panels';
import { findGroup } from '../store/server-groups.store';
import {
  deleteServer,
  findServer,
  findServerCredentials,
  insertServer,
  listServers,
  liveAccountCounts,
  saveServer,
  type Server,
} from '../store/servers.store';
import { isUniqueViolation } from '../store/sql';
import { readScope, writeScope, type WriteScope } from './context';
import { type Cipher } from './crypto';
import { invalidField, invalidUnder, serverNotFound } from './errors';
import { CREDENTIALS, defaultPort, type Credentials, type ServerInput, type ServerPatch } from './inputs';

const nameTaken = () =>
  new ConflictError('provisioning.server_name_taken', 'a server with this name already exists', {
    fieldErrors: [{ field: 'name', message: 'already in use' }],
  });

/** The credentials of a server, opened for one call to its panel. */
export function connectionOf(cipher: Cipher, server: Server, sealed: string): PanelConnection {
  return {
    serverId: server.id,
    module: server.module,
    hostname: server.hostname,
    port: server.port,
    tls: server.tls,
    ipAddress: server.ipAddress,
    credentials: JSON.parse(cipher.open('server-credentials', sealed)) as Credentials,
  };
}

export function createServersService(deps: { db: Database; cipher: Cipher; panels: Panels }) {
  const { db, cipher, panels } = deps;

  /** Servers with how many live accounts each holds (every tenant's: a count, never the accounts). */
  async function withCounts(servers: Server[]): Promise<ServerView[]> {
    const counts = await db.withTenant(allTenants, (tx) =>
      liveAccountCounts(
        tx,
        servers.map((s) => s.id),
      ),
    );
    return servers.map((s) => ({ ...s, accounts: counts.get(s.id) ?? 0 }));
  }

  async function assertGroup(tx: Tx, scope: WriteScope, groupId: string | null) {
    if (groupId && !(await findGroup(tx, scope, groupId)))
      throw invalidField('provisioning.invalid_server', 'groupId', 'no such server group');
  }

  async function viewOf(server: Server): Promise<ServerView> {
    return (await withCounts([server]))[0]!;
  }

  return {
    async list(auth: AuthContext, tenantId?: string): Promise<ServerView[]> {
      const scope = readScope(auth, tenantId);
      return withCounts(await db.withTenant(scope, (tx) => listServers(tx, scope)));
    },

    async get(auth: AuthContext, id: string, tenantId?: string): Promise<ServerView> {
      const scope = readScope(auth, tenantId);
      const server = await db.withTenant(scope, (tx) => findServer(tx, scope, id));
      if (!server) throw serverNotFound();
      return viewOf(server);
    },

    async create(auth: AuthContext, input: ServerInput, tenantId?: string): Promise<ServerView> {
      const scope = writeScope(auth, tenantId);
      const { credentials, ...fields } = input;
      try {
        const server = await db.withTenant(scope, async (tx) => {
          await assertGroup(tx, scope, fields.groupId);
          return insertServer(tx, scope, {
            ...fields,
            id: newId(),
            port: fields.port ?? defaultPort(fields.module),
            sealedCredentials: cipher.seal('server-credentials', JSON.stringify(credentials)),
          });
        });
        return viewOf(server);
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken() : err;
      }
    },

    async update(auth: AuthContext, id: string, patch: ServerPatch, tenantId?: string): Promise<ServerView> {
      const scope = writeScope(auth, tenantId);
      try {
        const server = await db.withTenant(scope, async (tx) => {
          const current = await findServer(tx, scope, id);
          if (!current) throw serverNotFound();
          let sealed: string | undefined;
          if (patch.credentials) {
            const parsed = CREDENTIALS[current.module].safeParse(patch.credentials);
            if (!parsed.success)
              throw invalidUnder('provisioning.invalid_server', 'credentials', parsed.error);
            sealed = cipher.seal('server-credentials', JSON.stringify(parsed.data));
          }
          if (patch.groupId !== undefined) await assertGroup(tx, scope, patch.groupId);
          const { credentials: _, ...fields } = patch;
          const next = { ...current, ...fields };
          if (next.module === 'plesk' && !next.ipAddress)
            throw invalidField(
              'provisioning.invalid_server',
              'ipAddress',
              'a Plesk server needs its shared IP',
            );
          if (next.maxAccounts < current.maxAccounts) {
            const live = (await viewOf(current)).accounts;
            if (next.maxAccounts < live)
              throw invalidField(
                'provisioning.invalid_server',
                'maxAccounts',
                `below the ${live} accounts already on this server`,
              );
          }
          return (await saveServer(tx, scope, next, sealed))!;
        });
        return viewOf(server);
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken() : err;
      }
    },

    async remove(auth: AuthContext, id: string, tenantId?: string): Promise<void> {
      const scope = writeScope(auth, tenantId);
      await db.withTenant(scope, async (tx) => {
        const server = await findServer(tx, scope, id);
        if (!server) throw serverNotFound();
        if ((await viewOf(server)).accounts > 0)
          throw new ConflictError('provisioning.server_in_use', 'move or terminate the accounts on it first');
        await deleteServer(tx, scope, id);
      });
    },

    /** Asks the panel whether our credentials work; its reason comes back, never a credential. */
    async testConnection(auth: AuthContext, id: string, tenantId?: string) {
      const scope: TenantScope = writeScope(auth, tenantId);
      const found = await db.withTenant(scope, async (tx) => {
        const server = await findServer(tx, scope, id);
        const sealed = await findServerCredentials(tx, scope, id);
        return server && sealed ? { server, sealed } : null;
      });
      if (!found) throw serverNotFound();
      try {
        await panels.panelFor(connectionOf(cipher, found.server, found.sealed)).testConnection();
        return { ok: true };
      } catch (err) {
        if (isPanelError(err)) return { ok: false, error: err.message };
        throw err;
      }
    },
  };
}

export type ServersService = ReturnType<typeof createServersService>;
