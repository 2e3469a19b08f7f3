import { ConflictError, newId, type AuthContext, type Database } from '@geminis/service-kit';
import { deleteGroup, findGroup, insertGroup, listGroups, updateGroup } from '../store/server-groups.store';
import { isUniqueViolation } from '../store/sql';
import { readScope, writeScope } from './context';
import { groupNotFound } from './errors';
import { type GroupInput, type GroupPatch } from './inputs';

const nameTaken = () =>
  new ConflictError('provisioning.server_group_name_taken', 'a server group with this name already exists', {
    fieldErrors: [{ field: 'name', message: 'already in use' }],
  });

export function createServerGroupsService(deps: { db: Database }) {
  const { db } = deps;
  const unique = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw isUniqueViolation(err) ? nameTaken() : err;
    }
  };
  return {
    async list(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listGroups(tx, scope));
    },
    async get(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const group = await db.withTenant(scope, (tx) => findGroup(tx, scope, id));
      if (!group) throw groupNotFound();
      return group;
    },
    async create(auth: AuthContext, input: GroupInput, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return unique(() => db.withTenant(scope, (tx) => insertGroup(tx, scope, { id: newId(), ...input })));
    },
    async update(auth: AuthContext, id: string, patch: GroupPatch, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const group = await unique(() => db.withTenant(scope, (tx) => updateGroup(tx, scope, id, patch)));
      if (!group) throw groupNotFound();
      return group;
    },
    async remove(auth: AuthContext, id: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const outcome = await db.withTenant(scope, (tx) => deleteGroup(tx, scope, id));
      if (outcome === 'missing') throw groupNotFound();
      if (outcome === 'in_use')
        throw new ConflictError(
          'provisioning.server_group_in_use',
          'move the servers and product placements of this group first',
        );
    },
  };
}

export type ServerGroupsService = ReturnType<typeof createServerGroupsService>;
