import { NotFoundError, type AuthContext, type Database } from '@geminis/service-kit';
import { deletePlacement, listPlacements, upsertPlacement } from '../store/placements.store';
import { findGroup } from '../store/server-groups.store';
import { readScope, writeScope } from './context';
import { invalidField } from './errors';

const placementNotFound = () => new NotFoundError('provisioning.placement_not_found', 'placement not found');

/** Which server group a product's accounts go to; a tenant places its products on its own groups only. */
export function createPlacementsService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listPlacements(tx, scope));
    },
    async place(auth: AuthContext, productId: string, groupId: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        if (!(await findGroup(tx, scope, groupId)))
          throw invalidField('provisioning.invalid_placement', 'groupId', 'no such server group');
        return upsertPlacement(tx, scope, productId, groupId);
      });
    },
    async remove(auth: AuthContext, productId: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      if (!(await db.withTenant(scope, (tx) => deletePlacement(tx, scope, productId))))
        throw placementNotFound();
    },
    placementNotFound,
  };
}

export type PlacementsService = ReturnType<typeof createPlacementsService>;
