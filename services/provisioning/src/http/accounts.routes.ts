import {
  AccountCredentialsView,
  AccountList,
  AccountUsageView,
  AccountView,
  LoginUrlView,
  ProvisioningJobView,
} from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type AccountsService } from '../domain/accounts.service';
import { accountNotFound } from '../domain/errors';
import { AccountsQuery, ManualAction } from '../domain/inputs';
import { type JobsService } from '../domain/jobs.service';
import { type LoginService } from '../domain/login.service';
import { bodyOf, idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { accountView, jobView } from './views';

const EVERYONE = { authenticated: true } as const;

/** Provisioned accounts: clients their own, staff their tenant's; manual suspend/unsuspend for staff. */
export function accountsRoutes(deps: { accounts: AccountsService; jobs: JobsService; login: LoginService }) {
  const { accounts, jobs, login } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/provisioning/accounts',
    EVERYONE,
    {
      summary: 'List provisioned accounts (a client: its own)',
      query: AccountsQuery,
      responses: { 200: AccountList },
    },
    async (req, res, auth) => {
      res.json({ items: (await accounts.list(auth, queryOf(req, AccountsQuery))).map(accountView) });
    },
  );
  routes.get(
    '/v1/provisioning/accounts/:id',
    EVERYONE,
    { summary: 'A provisioned account', query: TenantQuery, responses: { 200: AccountView } },
    async (req, res, auth) => {
      res.json(accountView(await accounts.get(auth, idOf(req, accountNotFound), tenantOf(req))));
    },
  );
  routes.get(
    '/v1/provisioning/accounts/:id/credentials',
    EVERYONE,
    {
      summary: "The account's panel login (its client and its tenant's staff only)",
      query: TenantQuery,
      responses: { 200: AccountCredentialsView },
    },
    async (req, res, auth) => {
      res.setHeader('cache-control', 'no-store');
      res.json(await accounts.credentials(auth, idOf(req, accountNotFound), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/provisioning/accounts/:id/usage',
    EVERYONE,
    {
      summary:
        "The account's disk and bandwidth as last read from its panel (its client and its tenant's staff)",
      query: TenantQuery,
      responses: { 200: AccountUsageView },
    },
    async (req, res, auth) => {
      res.json(await accounts.usage(auth, idOf(req, accountNotFound), tenantOf(req)));
    },
  );
  routes.post(
    '/v1/provisioning/accounts/:id/login-url',
    EVERYONE,
    {
      summary: "A one-time single sign-on URL into the account's panel (cPanel, Plesk, DirectAdmin)",
      query: TenantQuery,
      responses: { 200: LoginUrlView },
    },
    async (req, res, auth) => {
      res.setHeader('cache-control', 'no-store');
      res.json(await login.loginUrl(auth, idOf(req, accountNotFound), tenantOf(req), req.ip));
    },
  );
  routes.post(
    '/v1/provisioning/accounts/:id/password',
    EVERYONE,
    {
      summary:
        'Give the account a new strong panel password (a job; read it from /credentials once the job is done)',
      query: TenantQuery,
      responses: { 202: ProvisioningJobView },
    },
    async (req, res, auth) => {
      const id = idOf(req, accountNotFound);
      res.status(202).json(jobView(await jobs.changePassword(auth, id, tenantOf(req))));
    },
  );
  routes.get(
    '/internal/v1/tenants/:tenantId/services/:serviceId/credentials',
    { service: true },
    {
      summary: "A client service's panel login, for notifications (PROVISIONING_INTERNAL; service key only)",
      responses: { 200: AccountCredentialsView },
    },
    async (req, res) => {
      const tenantId = idOf(req, accountNotFound, 'tenantId');
      const serviceId = idOf(req, accountNotFound, 'serviceId');
      res.setHeader('cache-control', 'no-store');
      res.json(await accounts.credentialsOfService(tenantId, serviceId));
    },
  );
  routes.post(
    '/v1/provisioning/accounts/:id/actions',
    STAFF,
    {
      summary: 'Suspend or unsuspend an account by hand (a job; its result is published like billing’s)',
      query: TenantQuery,
      body: ManualAction,
      responses: { 202: ProvisioningJobView },
    },
    async (req, res, auth) => {
      const id = idOf(req, accountNotFound);
      res.status(202).json(jobView(await jobs.act(auth, id, bodyOf(req, ManualAction), tenantOf(req))));
    },
  );
  return routes;
}
