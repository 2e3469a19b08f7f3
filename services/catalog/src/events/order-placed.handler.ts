import { type OrderPlaced } from '@geminis/contracts';
import { tenantScope, type EventHandler, type KitLogger } from '@geminis/service-kit';
import { type z } from 'zod';
import { type PromotionsService } from '../domain/promotions.service';
import { recordPlacedOrder } from '../store/orders.store';

type Order = z.infer<typeof OrderPlaced.schema>;

/**
 * billing.order.placed.v1: remembers that the client has ordered (new-clients-only promotions) and counts
 * the promotion's use. Runs in the inbox transaction, so a duplicate delivery changes nothing.
 */
export function orderPlacedHandler(deps: { promotions: PromotionsService; logger: KitLogger }): EventHandler {
  return async (tx, event) => {
    const order = event.data as Order;
    const scope = tenantScope(event.tenantId);
    await recordPlacedOrder(tx, scope, {
      orderId: order.orderId,
      clientId: order.clientId,
      placedAt: event.time,
    });
    if (!order.promotionId && !order.promotionCode) return;
    const outcome = await deps.promotions.redeem(tx, scope, {
      ...(order.promotionId ? { promotionId: order.promotionId } : {}),
      ...(order.promotionCode ? { code: order.promotionCode } : {}),
      orderId: order.orderId,
      clientId: order.clientId,
      causationId: event.id,
    });
    if (outcome !== 'counted' && outcome !== 'duplicate')
      deps.logger.warn(
        { eventId: event.id, orderId: order.orderId, promotionId: order.promotionId, outcome },
        'promotion use not counted',
      );
  };
}
