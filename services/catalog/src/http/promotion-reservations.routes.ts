import { PromotionRelease, PromotionReservation, PromotionReservationInput } from '@geminis/contracts';
import { createRoutes, NotFoundError } from '@geminis/service-kit';
import { type PromotionsService } from '../domain/promotions.service';
import { bodyOf, idOf } from './request';

const notFound = () => new NotFoundError('catalog.promotion_not_found', 'promotion not found');

/**
 * Billing reserves a promotion's use when it places an order and releases it when the order is cancelled
 * (CATALOG_INTERNAL in @geminis/contracts). Our own services only: the shared service key.
 */
export function promotionReservationsRoutes(deps: { promotions: PromotionsService }) {
  const { promotions } = deps;
  const routes = createRoutes();
  routes.put(
    '/internal/v1/tenants/:tenantId/promotion-reservations/:orderId',
    { service: true },
    {
      summary: 'Reserve one use of a promotion for an order being placed',
      body: PromotionReservationInput,
      responses: { 200: PromotionReservation },
    },
    async (req, res) => {
      const tenantId = idOf(req, notFound, 'tenantId');
      const orderId = idOf(req, notFound, 'orderId');
      const input = bodyOf(req, PromotionReservationInput);
      const outcome = await promotions.reserve(tenantId, { ...input, orderId });
      res.json({ ...outcome, promotionId: input.promotionId, orderId });
    },
  );
  routes.delete(
    '/internal/v1/tenants/:tenantId/promotion-reservations/:orderId',
    { service: true },
    { summary: 'Release the promotion use reserved for an order', responses: { 200: PromotionRelease } },
    async (req, res) => {
      const tenantId = idOf(req, notFound, 'tenantId');
      const orderId = idOf(req, notFound, 'orderId');
      const released = await promotions.release(tenantId, orderId);
      res.json({ orderId, status: released ? 'released' : 'not_reserved' });
    },
  );
  return routes;
}
