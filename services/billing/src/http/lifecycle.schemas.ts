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
