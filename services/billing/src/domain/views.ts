import {
  PublicQuoteSnapshot,
  type ClientServiceView,
  type InvoiceView,
  type OrderView,
  type PaymentView,
} from '@geminis/contracts';
import { type Invoice } from '../store/invoices.store';
import { type Order } from '../store/orders.store';
import { type Payment } from '../store/payments.store';
import { type ClientService } from '../store/services.store';
import { toJsonMinor } from './money';

// The answers' shapes are the contract's (@geminis/contracts, http/billing.ts). They live beside the use
// cases because an Idempotency-Key stores the answer itself, in the work's transaction.

export const orderView = (o: Order): OrderView => ({
  id: o.id,
  tenantId: o.tenantId,
  clientId: o.clientId,
  status: o.status,
  currency: o.currency,
  total: toJsonMinor(o.total),
  promotion: o.promotion,
  invoiceId: o.invoiceId,
  serviceIds: o.serviceIds,
  // The public quote: the stored snapshot's module configuration, source and wholesale price stay inside.
  snapshot: PublicQuoteSnapshot.parse(o.snapshot),
  createdAt: o.createdAt,
  cancelledAt: o.cancelledAt,
});

export const invoiceView = (i: Invoice): InvoiceView => ({
  id: i.id,
  tenantId: i.tenantId,
  clientId: i.clientId,
  orderId: i.orderId,
  number: i.number,
  status: i.status,
  currency: i.currency,
  subtotal: toJsonMinor(i.subtotal),
  taxName: i.taxName,
  taxRateBps: i.taxRateBps,
  taxTotal: toJsonMinor(i.taxTotal),
  total: toJsonMinor(i.total),
  amountPaid: toJsonMinor(i.amountPaid),
  balance: toJsonMinor(i.total - i.amountPaid),
  issuedAt: i.issuedAt,
  dueDate: i.dueDate,
  paidAt: i.paidAt,
  lines: i.lines.map((l) => ({
    description: l.description,
    quantity: l.quantity,
    unitPrice: toJsonMinor(l.unitPrice),
    setupFee: toJsonMinor(l.setupFee),
    discount: toJsonMinor(l.discount),
    amount: toJsonMinor(l.amount),
    tax: toJsonMinor(l.tax),
    total: toJsonMinor(l.total),
    serviceId: l.serviceId,
    periodStart: l.periodStart,
    periodEnd: l.periodEnd,
  })),
  reason: i.reason,
  taxNote: i.taxNote,
});

export const paymentView = (p: Payment): PaymentView => ({
  id: p.id,
  invoiceId: p.invoiceId,
  clientId: p.clientId,
  method: p.method,
  amount: toJsonMinor(p.amount),
  currency: p.currency,
  reference: p.reference,
  createdAt: p.createdAt,
});

export const serviceView = (s: ClientService): ClientServiceView => ({
  id: s.id,
  tenantId: s.tenantId,
  clientId: s.clientId,
  orderId: s.orderId,
  productId: s.productId,
  productName: s.productName,
  productType: s.productType,
  module: s.module,
  domain: s.domain,
  cycle: s.cycle,
  quantity: s.quantity,
  currency: s.currency,
  recurringAmount: toJsonMinor(s.recurringAmount),
  addons: s.addons.map((a) => ({ ...a, recurringAmount: toJsonMinor(a.recurringAmount) })),
  registrationDate: s.registrationDate,
  nextDueDate: s.nextDueDate,
  status: s.status,
  username: s.username,
  host: s.host,
  lastError: s.lastError,
  domainRegistration: s.registration,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
});

/** The service with its lifecycle (suspension reason, pending request, cancellation): lifecycle routes. */
export const serviceLifecycleView = (s: ClientService) => ({
  ...serviceView(s),
  suspendReason: s.suspendReason,
  suspendNote: s.suspendNote,
  suspendedOn: s.suspendedOn,
  pendingAction: s.pendingAction,
  pendingSince: s.pendingSince,
  cancelAt: s.cancelAt,
  cancelReason: s.cancelReason,
  dunningExempt: s.dunningExempt,
  dunningExemptReason: s.dunningExemptReason,
});
