import { ClientServiceList, ClientServiceView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { serviceNotFound } from '../domain/errors';
import { type ClientServicesService } from '../domain/client-services.service';
import { serviceView } from '../domain/views';
import { idOf, TenantQuery, tenantOf } from './request';

/** Client services (what was bought, its cycle, price, due date and status). */
export function clientServicesRoutes(deps: { clientServices: ClientServicesService }) {
  const { clientServices } = deps;
  const routes = createRoutes();
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
  return routes;
}
