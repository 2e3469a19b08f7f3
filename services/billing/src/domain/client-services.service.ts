import { type AuthContext, type Database } from '@geminis/service-kit';
import { findService, listServices } from '../store/services.store';
import { viewerOf } from './context';
import { serviceNotFound } from './errors';

/** Reading client services: clients their own, resellers their tenant's, admins all (or one they name). */
export function createClientServicesService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(auth: AuthContext, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, (tx) => listServices(tx, v.scope, v.clientId));
    },
    async get(auth: AuthContext, id: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const service = await db.withTenant(v.scope, (tx) => findService(tx, v.scope, id, v.clientId));
      if (!service) throw serviceNotFound();
      return service;
    },
  };
}

export type ClientServicesService = ReturnType<typeof createClientServicesService>;
