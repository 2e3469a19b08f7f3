import { JobAction, JobView } from '@geminis/contracts';
import { z } from 'zod';

// Answers of provisioning's own that contracts do not declare yet (to move to
// packages/contracts/src/http/provisioning.ts: see the README's "Contracts to add").

/** A job as staff see it, its action including a change of package. */
export const ProvisioningJobView = JobView.extend({
  action: z.enum([...JobAction.options, 'change_package']),
});
export type ProvisioningJobView = z.infer<typeof ProvisioningJobView>;
export const ProvisioningJobList = z.object({ items: z.array(ProvisioningJobView) });

/** GET /v1/provisioning/accounts/:id/usage: what the usage sync last read from the panel. */
export const AccountUsageView = z.object({
  diskBytes: z.number().int().min(0).nullable().describe('Disk used, in bytes (null: never read)'),
  bandwidthBytes: z
    .number()
    .int()
    .min(0)
    .nullable()
    .describe("This month's bandwidth, in bytes, as the panel counts it (null: never read)"),
  measuredAt: z.iso.datetime().nullable().describe('When the panel was last read'),
});
export type AccountUsageView = z.infer<typeof AccountUsageView>;
