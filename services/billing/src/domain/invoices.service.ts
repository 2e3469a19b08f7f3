import { type AuthContext, type Database } from '@geminis/service-kit';
import { findInvoice, listInvoices } from '../store/invoices.store';
import { viewerOf } from './context';
import { invoiceNotFound } from './errors';

/** Reading invoices: clients their own, resellers their tenant's, admins all (or one they name). */
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
  };
}

export type InvoicesService = ReturnType<typeof createInvoicesService>;
