import { ClientServiceView } from '@geminis/contracts';
import { LateFeeInput } from '../domain/inputs';
import { z } from 'zod';

// Answers of billing's lifecycle routes (billing's own until the contracts' views carry these fields).

export const LifecycleSettingsView = z.object({
  tenantId: z.uuid(),
  renewalLeadDays: z
    .number()
    .int()
    .min(0)
    .max(365)
    .describe('Days before the due date a renewal invoice is issued'),
  suspendAfterDays: z
    .number()
    .int()
    .min(0)
    .max(365)
    .nullable()
    .describe('Days a renewal invoice may be overdue before the service is suspended (null: never)'),
  terminateAfterDays: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .nullable()
    .describe('Days suspended for non-payment before the service is terminated (null: never)'),
  lateFee: LateFeeInput.nullable().describe('Added once to a renewal invoice still unpaid after `afterDays`'),
  autoChargeRetryDays: z
    .array(z.number().int().min(1).max(90))
    .describe('Days after the due date a declined automatic card charge is tried again'),
  reminderDays: z
    .array(z.number().int().min(-60).max(365))
    .describe('Days from the due date a payment reminder is sent (negative: before it), once each'),
});

/** A client service with its lifecycle: why it is suspended, what billing asked provisioning, cancellation. */
export const ClientServiceLifecycleView = ClientServiceView.extend({
  suspendReason: z.enum(['overdue', 'staff', 'provisioning']).nullable(),
  suspendNote: z.string().nullable(),
  suspendedOn: z.iso.date().nullable(),
  pendingAction: z
    .enum(['suspend', 'unsuspend', 'terminate'])
    .nullable()
    .describe('Asked of provisioning and not confirmed yet (one that stays is visible to staff)'),
  pendingSince: z.iso.datetime().nullable(),
  cancelAt: z.enum(['end_of_period', 'immediate']).nullable(),
  cancelReason: z.string().nullable(),
  dunningExempt: z.boolean().describe('Staff exempted it from automatic suspension for non-payment'),
  dunningExemptReason: z.string().nullable(),
});
export type ClientServiceLifecycleView = z.infer<typeof ClientServiceLifecycleView>;

const Minor = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/** POST /v1/client-services/:id/change-package: the change and its proration. */
export const ServiceChangeView = z.object({
  changeId: z.uuid(),
  serviceId: z.uuid(),
  status: z
    .enum(['pending', 'applied', 'cancelled'])
    .describe('pending: its invoice is unpaid (applies when paid); applied: the service has the new product'),
  fromProductId: z.uuid(),
  toProductId: z.uuid(),
  productName: z.string(),
  currency: z.string(),
  proration: z.object({
    periodStart: z.iso.date(),
    periodEnd: z.iso.date().describe('Exclusive: the next due date'),
    changeDate: z.iso.date(),
    oldAmount: Minor,
    newAmount: Minor,
    credit: Minor.describe('Unused days of the old price'),
    charge: Minor.describe('The same days at the new price'),
    difference: Minor.describe('charge − credit: invoiced when positive, account credit when negative'),
    rule: z.string(),
  }),
  invoiceId: z.uuid().nullable().describe('The invoice of the difference (an upgrade)'),
  createdAt: z.iso.datetime(),
  appliedAt: z.iso.datetime().nullable(),
  inPlaceAt: z.iso
    .datetime()
    .nullable()
    .describe('When provisioning reported it done on the panel (null: requested, not yet confirmed)'),
  panelPackage: z.string().nullable().describe('The panel package it is on since then'),
});

export const ServiceChangeList = z.object({ items: z.array(ServiceChangeView) });

/** The renewal invoice a "renew now" issued (201) or found already issued (200). */
export const RenewNowView = z.object({ invoiceId: z.uuid() });
