import {
  allTenants,
  tenantScope,
  type Database,
  type KitLogger,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { dueHolds, insertHold, moveHold } from '../store/holds.store';
import { type CatalogClient } from '../upstream/catalog.client';

/**
 * Promotion uses held at catalog for orders, so that none is lost between the two services: a hold is
 * recorded before catalog reserves, confirmed by the order's transaction, and released (now, or by the
 * sweep until catalog confirms) when the order fails, never commits, or is cancelled.
 */
export function createPromotionHolds(deps: {
  db: Database;
  catalog: CatalogClient;
  logger: KitLogger;
  /** A hold whose order has not committed after this long is released. Default 5 minutes. */
  staleMs?: number;
}) {
  const { db, catalog, logger } = deps;
  const staleMs = deps.staleMs ?? 5 * 60_000;

  /** Asks catalog to give the use back; the hold stays open for the sweep if catalog does not confirm. */
  async function release(tenantId: string, orderId: string): Promise<boolean> {
    const scope = tenantScope(tenantId);
    try {
      await catalog.release(tenantId, orderId);
      await db.withTenant(scope, (tx) => moveHold(tx, scope, orderId, ['holding', 'releasing'], 'released'));
      return true;
    } catch (err) {
      logger.warn({ orderId, err }, 'promotion use not released yet; the sweep will retry');
      await db
        .withTenant(scope, (tx) =>
          moveHold(tx, scope, orderId, ['holding', 'releasing'], 'releasing', String((err as Error).message)),
        )
        .catch(() => undefined);
      return false;
    }
  }

  return {
    /** Recorded (and committed) before catalog is asked to reserve. */
    async hold(tenantId: string, orderId: string, promotionId: string) {
      const scope = tenantScope(tenantId);
      await db.withTenant(scope, (tx) => insertHold(tx, scope, orderId, promotionId));
    },
    /** In the order's transaction: the hold belongs to a placed order now. */
    placed: (tx: Tx, scope: TenantScope, orderId: string) =>
      moveHold(tx, scope, orderId, ['holding'], 'placed'),
    /** In the cancel's transaction: the use must go back (release() right after the commit). */
    releasing: (tx: Tx, scope: TenantScope, orderId: string) =>
      moveHold(tx, scope, orderId, ['placed'], 'releasing'),
    release,
    /** The periodic sweep: releases what failed, crashed or was not confirmed. Returns how many it released. */
    async sweep(): Promise<number> {
      const due = await db.withTenant(allTenants, (tx) => dueHolds(tx, allTenants, staleMs));
      let released = 0;
      for (const h of due) if (await release(h.tenantId, h.orderId)) released += 1;
      return released;
    },
  };
}

export type PromotionHolds = ReturnType<typeof createPromotionHolds>;
