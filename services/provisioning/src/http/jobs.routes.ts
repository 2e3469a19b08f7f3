import { ProvisioningJobList as JobList, ProvisioningJobView as JobView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { jobNotFound } from '../domain/errors';
import { JobsQuery } from '../domain/inputs';
import { type JobsService } from '../domain/jobs.service';
import { idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { jobView } from './views';

/** Provisioning jobs for staff: what ran, what failed and why, and a retry for what failed. */
export function jobsRoutes(deps: { jobs: JobsService }) {
  const { jobs } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/provisioning/jobs',
    STAFF,
    { summary: 'List provisioning jobs (newest first)', query: JobsQuery, responses: { 200: JobList } },
    async (req, res, auth) => {
      res.json({ items: (await jobs.list(auth, queryOf(req, JobsQuery))).map(jobView) });
    },
  );
  routes.get(
    '/v1/provisioning/jobs/:id',
    STAFF,
    { summary: 'A provisioning job', query: TenantQuery, responses: { 200: JobView } },
    async (req, res, auth) => {
      res.json(jobView(await jobs.get(auth, idOf(req, jobNotFound), tenantOf(req))));
    },
  );
  routes.post(
    '/v1/provisioning/jobs/:id/retry',
    STAFF,
    {
      summary: 'Retry a failed job with a fresh set of attempts',
      query: TenantQuery,
      responses: { 202: JobView },
    },
    async (req, res, auth) => {
      res.status(202).json(jobView(await jobs.retry(auth, idOf(req, jobNotFound), tenantOf(req))));
    },
  );
  return routes;
}
