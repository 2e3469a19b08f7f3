import { PromotionList, PromotionView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { promotionNotFound } from '../domain/errors';
import { PromotionInput, PromotionPatch } from '../domain/inputs';
import { type PromotionsService } from '../domain/promotions.service';
import { bodyOf, idOf, TenantQuery, tenantOf } from './request';
import { promotionView } from './views';

const STAFF = { roles: ['admin', 'reseller'] as const };

/** Promotions of the caller's tenant (platform promotions for the admin unless it names a tenant). */
export function promotionsRoutes(deps: { promotions: PromotionsService }) {
  const { promotions } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/promotions',
    STAFF,
    { summary: 'List promotions', query: TenantQuery, responses: { 200: PromotionList } },
    async (req, res, auth) => {
      res.json({ items: (await promotions.list(auth, tenantOf(req))).map(promotionView) });
    },
  );
  routes.post(
    '/v1/promotions',
    STAFF,
    {
      summary: 'Create a promotion',
      query: TenantQuery,
      body: PromotionInput,
      responses: { 201: PromotionView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, PromotionInput);
      res.status(201).json(promotionView(await promotions.create(auth, input, tenantOf(req))));
    },
  );
  routes.get(
    '/v1/promotions/:id',
    STAFF,
    { summary: 'A promotion', query: TenantQuery, responses: { 200: PromotionView } },
    async (req, res, auth) => {
      res.json(promotionView(await promotions.get(auth, idOf(req, promotionNotFound), tenantOf(req))));
    },
  );
  routes.patch(
    '/v1/promotions/:id',
    STAFF,
    {
      summary: 'Change a promotion',
      query: TenantQuery,
      body: PromotionPatch,
      responses: { 200: PromotionView },
    },
    async (req, res, auth) => {
      const id = idOf(req, promotionNotFound);
      res.json(promotionView(await promotions.update(auth, id, bodyOf(req, PromotionPatch), tenantOf(req))));
    },
  );
  return routes;
}
