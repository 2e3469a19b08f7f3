import { tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { findInvoice, waiveLateFee, type Invoice } from '../store/invoices.store';
import { viewerOf } from './context';
import { invoiceNotFound, noLateFeeToWaive } from './errors';
import { type Settlement } from './settlement.service';

/** Staff waive the late fee dunning added to an invoice (the fee is never added again). */
export function createLateFees(deps: { db: Database; settlement: Settlement }) {
  const { db, settlement } = deps;
  return {
    async waive(auth: AuthContext, id: string, tenantId?: string): Promise<Invoice> {
      const v = viewerOf(auth, tenantId);
      return db.withTenant(v.scope, async (tx) => {
        const found = await findInvoice(tx, v.scope, id, v.clientId, true);
        if (!found) throw invoiceNotFound();
        const scope = tenantScope(found.tenantId);
        const status = await waiveLateFee(tx, scope, id);
        if (status === null) throw noLateFeeToWaive();
        const after = (await findInvoice(tx, scope, id))!;
        // what was paid covers the rest: the invoice is paid now, with all that follows
        if (status === 'paid') await settlement.invoicePaid(tx, scope, after, after.paidAt!);
        return after;
      });
    },
  };
}

export type LateFees = ReturnType<typeof createLateFees>;
