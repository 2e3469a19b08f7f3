import { PlacementList, PlacementView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { PlacementInput } from '../domain/inputs';
import { type PlacementsService } from '../domain/placements.service';
import { bodyOf, idOf, STAFF, TenantQuery, tenantOf } from './request';

/** Where each product's accounts go (a server group of the tenant's own). */
export function placementsRoutes(deps: { placements: PlacementsService }) {
  const { placements } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/provisioning/placements',
    STAFF,
    { summary: 'List product placements', query: TenantQuery, responses: { 200: PlacementList } },
    async (req, res, auth) => {
      res.json({ items: await placements.list(auth, tenantOf(req)) });
    },
  );
  routes.put(
    '/v1/provisioning/placements/:productId',
    STAFF,
    {
      summary: "Place a product's new accounts in a server group",
      query: TenantQuery,
      body: PlacementInput,
      responses: { 200: PlacementView },
    },
    async (req, res, auth) => {
      const productId = idOf(req, placements.placementNotFound, 'productId');
      const { groupId } = bodyOf(req, PlacementInput);
      res.json(await placements.place(auth, productId, groupId, tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/provisioning/placements/:productId',
    STAFF,
    { summary: 'Remove a product placement', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await placements.remove(auth, idOf(req, placements.placementNotFound, 'productId'), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
