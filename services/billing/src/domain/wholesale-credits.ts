import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  applyTenantScope,
  tenantScope,
  type AuthContext,
  type Outbox,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { lockClient } from '../store/clients.store';
import { findInvoice } from '../store/invoices.store';
import { type ClientService } from '../store/services.store';
import {
  chargeCovering,
  chargePeriodOf,
  claimUnchargedPeriod,
  insertChangeCharge,
  insertCredit,
  setCreditNote,
  type ChargedPeriod,
} from '../store/wholesale.store';
import { announceCreditNote, depositCreditNote, numberedCreditNote } from './credit-notes.service';
import { applyPayment } from './invoice-payment';
import { type Minor } from './money';
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
    if (creditId && charge.invoiceId)
      await creditNoteAgainstCharge(tx, outbox, settlement, auth.userId, charge, creditId, {
        amount: p.credit,
        reason:
          `${charge.description}: ${p.unusedDays} unused day${p.unusedDays > 1 ? 's' : ''} of ` +
          `${charge.periodStart} – ${charge.periodEnd} (ended ${today})`,
        today,
      });
  }
  await applyTenantScope(tx, tenantScope(s.tenantId));
}

/**
 * A credit of the platform to a reseller against the wholesale invoice that charged a period (the platform's
 * tenant is the caller's): a credit note in the platform's series refunds it to the reseller's account credit
 * at the platform and, while that invoice is still unpaid, pays it from that credit at once (as much of it as
 * the invoice still owes; the rest stays as credit). The reseller's client row at the platform (its id is the
 * reseller's tenant id) is locked before the invoice's, the order the reseller's own apply-credit takes.
 */
async function creditNoteAgainstCharge(
  tx: Tx,
  outbox: Outbox,
  settlement: Settlement,
  by: string,
  charge: ChargedPeriod,
  rowId: string,
  n: { amount: Minor; reason: string; today: string },
): Promise<void> {
  await lockClient(tx, PLATFORM, charge.resellerId);
  const invoice = (await findInvoice(tx, PLATFORM, charge.invoiceId!, undefined, true))!;
  const note = await numberedCreditNote(tx, invoice, {
    amount: n.amount,
    reason: n.reason,
    refundTo: 'credit',
    by,
    at: new Date(`${n.today}T00:00:00Z`),
  });
  await depositCreditNote(tx, note, by);
  await announceCreditNote(tx, outbox, note, invoice, true);
  await setCreditNote(tx, rowId, note.id);
  // the note leaves the invoice as it was: what it still owes is the locked row's
  const due = invoice.total - invoice.amountPaid;
  if ((invoice.status === 'unpaid' || invoice.status === 'partially_paid') && due > 0n)
    await applyPayment(tx, PLATFORM, settlement, invoice.id, {
      amount: note.amount < due ? note.amount : due,
      method: 'credit',
      reference: null,
      by,
    });
}

/** A change of package of a resold service, as it applies (change-package.service.ts). */
export interface AppliedChange {
  changeId: string;
  /** The reseller's tenant (the platform's own services owe no wholesale). */
  tenantId: string;
  serviceId: string;
  /** "Starter → Pro": the products as the reseller names them. */
  products: string;
  /** The platform's product the service resells after the change (null: the reseller's own product). */
  platformProductId: string | null;
  /** The service's wholesale per period × its quantity before and after the change (0: its own product). */
  rateFrom: Minor;
  rateTo: Minor;
  /** What the client was invoiced (positive) or credited (negative) for the change. */
  retail: Minor;
  /** What a charge of the service's period is made of. */
  productName: string;
  cycle: string;
  quantity: number;
  currency: string;
}

/**
 * The platform's rule for a resold service whose package changes within a period the platform charged the
 * reseller wholesale (a 'charge' row for it, invoiced or not; a period not charged yet is charged by the run
 * at the wholesale the service is on by then): for the unused days of that period — from the day the change
 * applies, when the platform's resources change — the reseller owes the new wholesale instead of the old one,
 * prorated like the client's change (proration.ts: each price × unused days / days of the period, half-up in
 * minor units), the old wholesale being the one the service was on (its latest applied change's, else its
 * order line's) and the new one the change's quote line's. The row keeps both rates, so a later change or
 * cancellation in the same period prorates what the reseller pays since (chargeCovering).
 *
 * In the caller's transaction, once per change (its row's key): a positive difference (an upgrade, or the
 * reseller's own product changed for a resold one) is a 'change' row the next consolidated invoice bills on a
 * line of its own; a negative one (a downgrade, or a resold product changed for the reseller's own) is a credit
 * settled exactly as a cancellation's (creditUnusedWholesale): netted on the charge's line when the charge was
 * not invoiced yet, else a credit note against the charge's invoice. A zero difference records nothing. Under
 * the platform's wholesale invoicing lock, like a cancellation's credit. The reseller's own product changed
 * for a resold one within a period not charged (own products are not) claims that period's charge at 0 first:
 * the change's row then owes the new wholesale's unused days only, and the run charges the period no more.
 */
export async function chargeChangedWholesale(
  tx: Tx,
  outbox: Outbox,
  settlement: Settlement,
  by: string,
  c: AppliedChange,
  today: string,
  restore: TenantScope,
): Promise<void> {
  if (c.tenantId === PLATFORM_TENANT_ID || c.rateFrom === c.rateTo) return;
  // the period the run would charge, read in the reseller's tenant (only needed for an own product's)
  const period = c.rateFrom === 0n ? await chargePeriodOf(tx, restore, c.serviceId) : undefined;
  await applyTenantScope(tx, PLATFORM);
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('billing.wholesale.invoice'))`);
  let charge = await chargeCovering(tx, c.serviceId, today);
  if (!charge && period && today >= period.start && today < period.end) {
    // The reseller's own product (never charged) becomes a resold one: the period is claimed at nothing,
    // so the run does not charge all of it at the new wholesale, and the change owes its unused days.
    await claimUnchargedPeriod(tx, {
      resellerId: c.tenantId,
      serviceId: c.serviceId,
      productId: c.platformProductId,
      description: c.productName + (c.quantity > 1 ? ` × ${c.quantity}` : ''),
      cycle: c.cycle,
      quantity: c.quantity,
      periodStart: period.start,
      periodEnd: period.end,
      currency: c.currency,
    });
    charge = await chargeCovering(tx, c.serviceId, today);
  }
  if (charge) {
    const p = prorate({
      oldAmount: c.rateFrom,
      newAmount: c.rateTo,
      periodStart: charge.periodStart,
      periodEnd: charge.periodEnd,
      changeDate: today,
    });
    const rowId =
      p.difference !== 0n
        ? await insertChangeCharge(tx, {
            ...charge,
            productId: c.platformProductId ?? charge.productId,
            serviceId: c.serviceId,
            changeId: c.changeId,
            description: `Change of package ${c.products}`,
            amount: p.difference,
            retail: c.retail,
            rateFrom: c.rateFrom,
            rateTo: c.rateTo,
            changedOn: today,
            unusedDays: p.unusedDays,
            periodDays: p.periodDays,
          })
        : undefined;
    if (rowId && p.difference < 0n && charge.invoiceId)
      await creditNoteAgainstCharge(tx, outbox, settlement, by, charge, rowId, {
        amount: -p.difference,
        reason:
          `Change of package ${c.products}: ${p.unusedDays} of ${p.periodDays} days of ` +
          `${charge.periodStart} – ${charge.periodEnd} (from ${today})`,
        today,
      });
  }
  await applyTenantScope(tx, restore);
}
