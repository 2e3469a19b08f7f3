import { OfferingList, ResellerOffering } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { productNotFound } from '../domain/errors';
import { OfferingBody, OfferingPatch } from '../domain/inputs';
import { type OfferingsService } from '../domain/offerings.service';
import { bodyOf, idOf, TenantQuery, tenantOf } from './request';
import { priceView, resellableProductView } from './views';

/** A reseller's offer of resellable platform products (the admin may look, with ?tenantId=). */
export function offeringsRoutes(deps: { offerings: OfferingsService }) {
  const routes = createRoutes();
  routes.get(
    '/v1/offerings',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Resellable platform products and the reseller’s offer of them',
      query: TenantQuery,
      responses: { 200: OfferingList },
    },
    async (req, res, auth) => {
      const items = await deps.offerings.list(auth, tenantOf(req));
      res.json({
        items: items.map((o) => ({
          ...o,
          product: resellableProductView(o.product),
          wholesale: o.wholesale.map(priceView),
          retail: o.retail.map(priceView),
        })),
      });
    },
  );
  routes.put(
    '/v1/offerings/:productId',
    { roles: ['reseller'] },
    {
      summary: 'Offer a platform product (or stop), with retail prices',
      body: OfferingBody,
      responses: { 200: ResellerOffering },
    },
    async (req, res, auth) => {
      const productId = idOf(req, productNotFound, 'productId');
      const result = await deps.offerings.set(auth, productId, bodyOf(req, OfferingBody));
      res.json({ ...result, retail: result.retail.map(priceView) });
    },
  );
  routes.patch(
    '/v1/offerings/:productId',
    { roles: ['reseller'] },
    {
      summary: 'Change some of the offer of a platform product (fields not sent stay as they are)',
      body: OfferingPatch,
      responses: { 200: ResellerOffering },
    },
    async (req, res, auth) => {
      const productId = idOf(req, productNotFound, 'productId');
      const result = await deps.offerings.set(auth, productId, bodyOf(req, OfferingPatch));
      res.json({ ...result, retail: result.retail.map(priceView) });
    },
  );
  return routes;
}
