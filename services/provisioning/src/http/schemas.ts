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
