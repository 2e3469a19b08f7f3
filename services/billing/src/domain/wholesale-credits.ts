import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { applyTenantScope, tenantScope, type AuthContext, type Outbox, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { lockClient } from '../store/clients.store';
import { findInvoice } from '../store/invoices.store';
import { type ClientService } from '../store/services.store';
import { chargeCovering, insertCredit, setCreditNote } from '../store/wholesale.store';
import { announceCreditNote, depositCreditNote, numberedCreditNote } from './credit-notes.service';
import { applyPayment } from './invoice-payment';
import { prorate } from './proration';
import { type Settlement } from './settlement.service';

const PLATFORM = tenantScope(PLATFORM_TENANT_ID);

/**
 * The platform's rule for a resold service that ends early — its client cancelled it now, or staff
 * terminated it — within a period the platform charged the reseller wholesale: the reseller gets back the
 * unused days of that period's wholesale price (not the setup fee), prorated like a change of package
 * (proration.ts: price × unused days / days of the period, half-up in minor units). The platform's resources
 * are freed that day, whatever the reseller does with its own client. A cancellation at the end of the period
 * gets nothing (the period was used), nor does a period never charged (the run charges only active
 * services).
 *
 * In the caller's transaction (the one that ends the service), once per (service, period): the credit row
 * beside its charge; if the charge was invoiced already, a credit note in the platform's series against that
 * invoice refunds it to the reseller's account credit at the platform (what pays its next wholesale
 * invoices) and, while that invoice is still unpaid, pays it from that credit at once (as much of it as the
 * invoice still owes: the reseller never owes the platform what the same note gave back; the rest stays as
 * credit); otherwise the credit nets on the charge's line of the next consolidated invoice. The reseller's
 * client row at the platform is locked before the invoice's (the order the reseller's own apply-credit
 * takes). The platform's wholesale invoicing lock is taken first, so a concurrent wholesale run either
 * invoiced the charge before (credit note) or sees the credit (netted).
 */
export async function creditUnusedWholesale(
  tx: Tx,
  outbox: Outbox,
  settlement: Settlement,
  auth: AuthContext,
  s: ClientService,
  today: string,
): Promise<void> {
  if (s.tenantId === PLATFORM_TENANT_ID) return;
  await applyTenantScope(tx, PLATFORM);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('billing.wholesale.invoice'))`);
  const charge = await chargeCovering(tx, s.id, today);
  const p =
    charge &&
    prorate({
      oldAmount: charge.price,
      newAmount: 0n,
      periodStart: charge.periodStart,
      periodEnd: charge.periodEnd,
      changeDate: today,
    });
  if (charge && p && p.credit > 0n) {
    const creditId = await insertCredit(tx, {
      ...charge,
      serviceId: s.id,
      amount: p.credit,
      endedOn: today,
      unusedDays: p.unusedDays,
      periodDays: p.periodDays,
    });
    if (creditId && charge.invoiceId) {
      // the reseller's client at the platform (its id is the reseller's tenant id), then the invoice
      await lockClient(tx, PLATFORM, s.tenantId);
      const invoice = (await findInvoice(tx, PLATFORM, charge.invoiceId, undefined, true))!;
      const note = await numberedCreditNote(tx, invoice, {
        amount: p.credit,
        reason:
          `${charge.description}: ${p.unusedDays} unused day${p.unusedDays > 1 ? 's' : ''} of ` +
          `${charge.periodStart} – ${charge.periodEnd} (ended ${today})`,
        refundTo: 'credit',
        by: auth.userId,
        at: new Date(`${today}T00:00:00Z`),
      });
      await depositCreditNote(tx, note, auth.userId);
      await announceCreditNote(tx, outbox, note, invoice, true);
      await setCreditNote(tx, creditId, note.id);
      // the note leaves the invoice as it was: what it still owes is the locked row's
      const due = invoice.total - invoice.amountPaid;
      if ((invoice.status === 'unpaid' || invoice.status === 'partially_paid') && due > 0n)
        await applyPayment(tx, PLATFORM, settlement, invoice.id, {
          amount: note.amount < due ? note.amount : due,
          method: 'credit',
          reference: null,
          by: auth.userId,
        });
    }
  }
  await applyTenantScope(tx, tenantScope(s.tenantId));
}
