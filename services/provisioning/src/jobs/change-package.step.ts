import { ServiceChangePackageRequested, ServicePackageChanged } from '@geminis/contracts';
import { tenantScope } from '@geminis/service-kit';
import { findAccountOfService, setAccountPackage } from '../store/accounts.store';
import { type Job } from '../store/jobs.store';
import { causedBy, JobFailure, type Completion, type JobDeps } from './job-context';
import { panelOfServer } from './panel-of-account';

/** The panel package a product's module configuration names (cPanel/DirectAdmin `package`, Plesk plan). */
export const packageOfConfig = (c: Record<string, unknown>): string => {
  const pkg =
    typeof c.package === 'string' ? c.package : typeof c.servicePlan === 'string' ? c.servicePlan : '';
  if (!pkg) throw new JobFailure('the new product names no panel package', false);
  return pkg;
};

/**
 * Moves the account of a client service to the package of its new product (WHM `changepackage`, Plesk's
 * subscription switch to the plan, DirectAdmin `CMD_API_MODIFY_USER action=package`). Safe to repeat: the
 * panel's state is read first and the change made only when the account is not on the package yet (an
 * attempt after a timeout reads before it acts; Plesk's read names the subscription's service plan, and a
 * subscription on none is switched). The account row takes the new product and package in
 * the job's commit, with `provisioning.service.package_changed.v1` for billing and notifications.
 */
export async function changePackageStep(deps: JobDeps, job: Job): Promise<Completion> {
  const req = ServiceChangePackageRequested.schema.parse(job.request);
  const scope = tenantScope(job.tenantId);
  const account = await deps.db.withTenant(scope, (tx) => findAccountOfService(tx, scope, req.serviceId));
  if (!account || account.status === 'pending')
    throw new JobFailure('this service has no provisioned account to change', true);
  if (account.status === 'terminated')
    throw new JobFailure('the account of this service was terminated', false);
  if (account.module !== req.module)
    throw new JobFailure(
      `the account is on ${account.module}; moving it to ${req.module} is a migration, not a change of package`,
      false,
    );

  const complete =
    (pkg: string | null): Completion =>
    async (tx) => {
      await setAccountPackage(tx, scope, account.id, req.toProductId, pkg);
      await deps.outbox.enqueue(tx, {
        type: ServicePackageChanged.type,
        tenantId: job.tenantId,
        ...causedBy(job),
        data: {
          serviceId: req.serviceId,
          clientId: req.clientId,
          module: req.module,
          changeId: req.changeId,
          productId: req.toProductId,
          ...(pkg ? { package: pkg } : {}),
        },
      });
    };
  if (account.module === 'none') return complete(null);

  const pkg = packageOfConfig(req.moduleConfig);
  const { panel } = await panelOfServer(deps, account.serverId);
  const ref = { username: account.username!, domain: account.domain };
  const found = await panel.lookup(ref);
  if (!found) throw new JobFailure('the account is missing on its panel', false);
  if (found.package !== pkg) await panel.changePackage(ref, pkg);
  return complete(pkg);
}
