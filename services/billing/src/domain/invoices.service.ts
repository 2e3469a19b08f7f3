import { type AuthContext, type Database } from '@geminis/service-kit';
import { findInvoice, listInvoices } from '../store/invoices.store';
import { findService, listServices } from '../store/services.store';
import { viewerOf } from './context';
import { invoiceNotFound, serviceNotFound } from './errors';

/** Reading invoices and client services: clients their own, resellers their tenant's, admins all. */
export function createInvoicesService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async list(auth: AuthContext, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, (tx) => listInvoices(tx, v.scope, v.clientId));
    },
    async get(auth: AuthContext, id: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const invoice = await db.withTenant(v.scope, (tx) => findInvoice(tx, v.scope, id, v.clientId));
      if (!invoice) throw invoiceNotFound();
      return invoice;
    },
    async listServices(auth: AuthContext, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, (tx) => listServices(tx, v.scope, v.clientId));
    },
    async getService(auth: AuthContext, id: string, tenantId?: string) {
      const v = viewerOf(auth, tenantId);
      const service = await db.withTenant(v.scope, (tx) => findService(tx, v.scope, id, v.clientId));
      if (!service) throw serviceNotFound();
      return service;
    },
  };
}

export type InvoicesService = ReturnType<typeof createInvoicesService>;
