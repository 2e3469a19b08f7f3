import { ClientServiceList, ClientServiceView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { serviceNotFound } from '../domain/errors';
import { type ChangePackage } from '../domain/change-package.service';
import { type ClientServicesService } from '../domain/client-services.service';
import { type LifecycleJobs } from '../domain/lifecycle-jobs.service';
import {
  CancellationInput,
  ChangePackageInput,
  DunningExemptionInput,
  ExtensionInput,
  ServiceActionInput,
} from '../domain/inputs';
import { type ServiceActions } from '../domain/service-actions.service';
import { serviceLifecycleView, serviceView } from '../domain/views';
import {
  ClientServiceLifecycleView,
  RenewNowView,
  ServiceChangeList,
  ServiceChangeView,
} from './lifecycle.schemas';
import { bodyOf, idempotencyKeyOf, idOf, sendAnswer, TenantQuery, tenantOf, tokenOf } from './request';

const STAFF = { roles: ['admin', 'reseller'] as const };

/** Client services (what was bought, its cycle, price, due date and status) and what staff do to them. */
export function clientServicesRoutes(deps: {
  clientServices: ClientServicesService;
  serviceActions: ServiceActions;
  changePackage: ChangePackage;
  lifecycle: LifecycleJobs;
}) {
  const { clientServices, serviceActions, changePackage, lifecycle } = deps;
  const routes = createRoutes();
  routes.post(
    '/v1/client-services/:id/renew',
    { authenticated: true },
    {
      summary:
        'Renew now (a domain early, a hosting period in advance): issues the next period’s renewal invoice, or answers the one already issued',
      query: TenantQuery,
      responses: { 201: RenewNowView, 200: RenewNowView },
    },
    async (req, res, auth) => {
      const r = await lifecycle.renewNow(auth, idOf(req, serviceNotFound), tenantOf(req));
      res.status(r.issued ? 201 : 200).json({ invoiceId: r.invoiceId });
    },
  );
  routes.post(
    '/v1/client-services/:id/change-package',
    { authenticated: true },
    {
      summary:
        'Upgrade or downgrade a client service mid-cycle with proration (Idempotency-Key honoured): the difference is invoiced, or credited',
      query: TenantQuery,
      body: ChangePackageInput,
      responses: { 201: ServiceChangeView },
    },
    async (req, res, auth) => {
      const id = idOf(req, serviceNotFound);
      const input = bodyOf(req, ChangePackageInput);
      sendAnswer(
        res,
        await changePackage.request(auth, tokenOf(req), id, input, idempotencyKeyOf(req), tenantOf(req)),
      );
    },
  );
  routes.get(
    '/v1/client-services/:id/changes',
    { authenticated: true },
    {
      summary: 'The changes of package of a client service: requested, applied, in place on the panel',
      query: TenantQuery,
      responses: { 200: ServiceChangeList },
    },
    async (req, res, auth) => {
      res.json({ items: await changePackage.list(auth, idOf(req, serviceNotFound), tenantOf(req)) });
    },
  );
  routes.get(
    '/v1/client-services',
    { authenticated: true },
    { summary: 'List client services', query: TenantQuery, responses: { 200: ClientServiceList } },
    async (req, res, auth) => {
      res.json({ items: (await clientServices.list(auth, tenantOf(req))).map(serviceView) });
    },
  );
  routes.get(
    '/v1/client-services/:id',
    { authenticated: true },
    { summary: 'A client service', query: TenantQuery, responses: { 200: ClientServiceView } },
    async (req, res, auth) => {
      res.json(serviceView(await clientServices.get(auth, idOf(req, serviceNotFound), tenantOf(req))));
    },
  );
  routes.get(
    '/v1/client-services/:id/lifecycle',
    { authenticated: true },
    {
      summary: 'A client service with its suspension reason, pending request and cancellation',
      query: TenantQuery,
      responses: { 200: ClientServiceLifecycleView },
    },
    async (req, res, auth) => {
      res.json(
        serviceLifecycleView(await serviceActions.get(auth, idOf(req, serviceNotFound), tenantOf(req))),
      );
    },
  );
  for (const action of ['suspend', 'unsuspend', 'terminate'] as const)
    routes.post(
      `/v1/client-services/:id/${action}`,
      STAFF,
      {
        summary: `Staff ${action} a client service (reason recorded; provisioning is asked)`,
        query: TenantQuery,
        body: ServiceActionInput,
        responses: { 200: ClientServiceLifecycleView },
      },
      async (req, res, auth) => {
        const id = idOf(req, serviceNotFound);
        const input = bodyOf(req, ServiceActionInput);
        res.json(serviceLifecycleView(await serviceActions[action](auth, id, input, tenantOf(req))));
      },
    );
  routes.post(
    '/v1/client-services/:id/dunning-exemption',
    STAFF,
    {
      summary: 'Exempt a client service from automatic suspension for non-payment, or lift the exemption',
      query: TenantQuery,
      body: DunningExemptionInput,
      responses: { 200: ClientServiceLifecycleView },
    },
    async (req, res, auth) => {
      const id = idOf(req, serviceNotFound);
      const input = bodyOf(req, DunningExemptionInput);
      res.json(serviceLifecycleView(await serviceActions.exemptFromDunning(auth, id, input, tenantOf(req))));
    },
  );
  routes.post(
    '/v1/client-services/:id/extend-due-date',
    STAFF,
    {
      summary: 'Give more time to pay the outstanding renewal invoice of a client service',
      query: TenantQuery,
      body: ExtensionInput,
      responses: { 200: ClientServiceLifecycleView },
    },
    async (req, res, auth) => {
      const id = idOf(req, serviceNotFound);
      const input = bodyOf(req, ExtensionInput);
      res.json(serviceLifecycleView(await serviceActions.extendDueDate(auth, id, input, tenantOf(req))));
    },
  );
  routes.post(
    '/v1/client-services/:id/cancel',
    { authenticated: true },
    {
      summary: 'Cancel a client service at the end of its period or now (the client, or staff for it)',
      query: TenantQuery,
      body: CancellationInput,
      responses: { 200: ClientServiceLifecycleView },
    },
    async (req, res, auth) => {
      const id = idOf(req, serviceNotFound);
      const input = bodyOf(req, CancellationInput);
      res.json(serviceLifecycleView(await serviceActions.cancel(auth, id, input, tenantOf(req))));
    },
  );
  return routes;
}
