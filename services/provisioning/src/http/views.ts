import { type AccountView, type ProvisioningJobView as JobView } from '@geminis/contracts';
import { type Account } from '../store/accounts.store';
import { type Job } from '../store/jobs.store';

/** A job as staff see it: what, how far, the panel's last reason; not the request it carries. */
export const jobView = (j: Job): JobView => ({
  id: j.id,
  tenantId: j.tenantId,
  serviceId: j.serviceId,
  clientId: j.clientId,
  action: j.action,
  status: j.status,
  attempts: j.attempts,
  maxAttempts: j.maxAttempts,
  nextRunAt: j.nextRunAt,
  lastError: j.lastError,
  createdAt: j.createdAt,
  updatedAt: j.updatedAt,
  finishedAt: j.finishedAt,
});

/** An account without its server id or package: the host is all a client (or a reseller) needs. */
export const accountView = (a: Account): AccountView => ({
  id: a.id,
  tenantId: a.tenantId,
  serviceId: a.serviceId,
  clientId: a.clientId,
  productId: a.productId,
  module: a.module,
  username: a.username,
  domain: a.domain,
  host: a.host,
  status: a.status,
  syncedAt: a.syncedAt,
  drift: a.drift,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});
