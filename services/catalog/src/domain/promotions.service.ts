import { PromotionRedeemed } from '@geminis/contracts';
import {
  ConflictError,
  newId,
  tenantScope,
  type AuthContext,
  type Database,
  type Outbox,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import {
  countClientRedemptions,
  findPromotion,
  findPromotionByCode,
  incrementRedeemed,
  insertRedemption,
  listPromotions,
  lockPromotion,
  redemptionExists,
  findRedemption,
  releaseRedemption,
  savePromotion,
} from '../store/promotions.store';
import { isUniqueViolation } from '../store/sql';
import { readScope, writeScope } from './context';
import { invalidField, promotionNotFound } from './errors';
import { type PromotionInput, type PromotionPatch } from './inputs';
import { normaliseCode, type Promotion, type PromotionRefusal } from './promotion';

const codeTaken = () =>
  new ConflictError('catalog.promotion_code_taken', 'a promotion with this code already exists', {
    fieldErrors: [{ field: 'code', message: 'already in use (codes are case-insensitive)' }],
  });

function fromInput(id: string, tenantId: string, input: PromotionInput, redeemed = 0): Promotion {
  return {
    id,
    tenantId,
    code: normaliseCode(input.code),
    description: input.description,
    discount:
      input.discount.kind === 'percent'
        ? input.discount
        : {
            kind: 'fixed',
            amounts: Object.fromEntries(
              Object.entries(input.discount.amounts).map(([c, a]) => [c, BigInt(a)]),
            ),
          },
    appliesTo: input.appliesTo,
    cycles: input.cycles,
    recurrence: input.recurrence,
    freeSetup: input.freeSetup,
    startsAt: input.startsAt ? new Date(input.startsAt) : null,
    endsAt: input.endsAt ? new Date(input.endsAt) : null,
    maxUses: input.maxUses,
    maxUsesPerClient: input.maxUsesPerClient,
    newClientsOnly: input.newClientsOnly,
    redeemed,
    active: input.active,
  };
}

function toInput(p: Promotion): PromotionInput {
  return {
    code: p.code,
    description: p.description,
    discount:
      p.discount.kind === 'percent'
        ? p.discount
        : {
            kind: 'fixed',
            amounts: Object.fromEntries(Object.entries(p.discount.amounts).map(([c, a]) => [c, Number(a)])),
          },
    appliesTo: p.appliesTo,
    cycles: p.cycles,
    recurrence: p.recurrence,
    freeSetup: p.freeSetup,
    startsAt: p.startsAt?.toISOString() ?? null,
    endsAt: p.endsAt?.toISOString() ?? null,
    maxUses: p.maxUses,
    maxUsesPerClient: p.maxUsesPerClient,
    newClientsOnly: p.newClientsOnly,
    active: p.active,
  };
}

export type RedemptionOutcome =
  'counted' | 'duplicate' | 'limit_reached' | 'client_limit_reached' | 'unknown';

export type ReservationOutcome = { status: 'reserved' } | { status: 'refused'; reason: PromotionRefusal };

const reservationReleased = () =>
  new ConflictError('catalog.reservation_released', 'the promotion use of this order was already released');

export function createPromotionsService(deps: { db: Database; outbox: Outbox; now?: () => Date }) {
  const { db, outbox } = deps;
  const now = deps.now ?? (() => new Date());

  async function save(scope: TenantScope, p: Promotion, isNew: boolean) {
    try {
      await db.withTenant(scope, (tx) => savePromotion(tx, scope, p, isNew));
    } catch (err) {
      throw isUniqueViolation(err) ? codeTaken() : err;
    }
  }

  /** Counts one use on a locked promotion: per-client limit, then the global limit, then the event. */
  async function claimUse(
    tx: Tx,
    scope: TenantScope,
    promo: Promotion,
    r: { orderId: string; clientId: string; causationId?: string },
  ): Promise<'counted' | 'limit_reached' | 'client_limit_reached'> {
    const ids = { promotionId: promo.id, orderId: r.orderId, clientId: r.clientId };
    const refuse = async (reason: 'limit_reached' | 'client_limit_reached') => {
      await insertRedemption(tx, scope, { ...ids, status: 'refused', reason });
      return reason;
    };
    if (
      promo.maxUsesPerClient !== null &&
      (await countClientRedemptions(tx, scope, promo.id, r.clientId)) >= promo.maxUsesPerClient
    )
      return refuse('client_limit_reached');
    if (!(await incrementRedeemed(tx, scope, promo.id))) return refuse('limit_reached');
    await insertRedemption(tx, scope, { ...ids, status: 'counted' });
    await outbox.enqueue(tx, {
      type: PromotionRedeemed.type,
      tenantId: promo.tenantId,
      data: { promotionId: promo.id, code: promo.code, orderId: r.orderId, clientId: r.clientId },
      ...(r.causationId ? { causationId: r.causationId } : {}),
    });
    return 'counted';
  }

  return {
    async list(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.readWithTenant(scope, (tx) => listPromotions(tx, scope));
    },
    async get(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const p = await db.withTenant(scope, (tx) => findPromotion(tx, scope, id));
      if (!p) throw promotionNotFound();
      return p;
    },
    async create(auth: AuthContext, input: PromotionInput, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const promotion = fromInput(newId(), scope.tenantId, input);
      await save(scope, promotion, true);
      return promotion;
    },
    async update(auth: AuthContext, id: string, patch: PromotionPatch, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const current = await db.withTenant(scope, (tx) => findPromotion(tx, scope, id));
      if (!current) throw promotionNotFound();
      const merged = { ...toInput(current), ...patch };
      if (merged.startsAt && merged.endsAt && Date.parse(merged.startsAt) >= Date.parse(merged.endsAt))
        throw invalidField('request.invalid', 'endsAt', 'must be after startsAt');
      if (merged.maxUses !== null && merged.maxUses < current.redeemed)
        throw invalidField('request.invalid', 'maxUses', `already redeemed ${current.redeemed} times`);
      const next = fromInput(id, current.tenantId, merged, current.redeemed);
      await save(scope, next, false);
      return next;
    },

    /**
     * Counts one use of a promotion for an order, inside the caller's transaction (the inbox's). The
     * promotion row is locked first, so concurrent orders for one promotion are counted one at a time, and
     * the conditional UPDATE (`redeemed < max_uses`) plus a CHECK constraint make over-redemption impossible.
     * An order already recorded is a duplicate; one past a limit is recorded as refused, not counted.
     */
    async redeem(
      tx: Tx,
      scope: TenantScope,
      r: { promotionId?: string; code?: string; orderId: string; clientId: string; causationId?: string },
    ): Promise<RedemptionOutcome> {
      const found = r.promotionId
        ? await findPromotion(tx, scope, r.promotionId)
        : r.code
          ? await findPromotionByCode(tx, scope, r.code)
          : null;
      if (!found) return 'unknown';
      const promo = (await lockPromotion(tx, scope, found.id))!;
      // Reserved at checkout (or already counted from an earlier delivery): never counted twice.
      if (await redemptionExists(tx, scope, promo.id, r.orderId)) return 'duplicate';
      return claimUse(tx, scope, promo, r);
    },

    /**
     * Reserves one use of a promotion for an order being placed (billing, service key): the promotion row
     * is locked, so concurrent checkouts are counted one at a time and never past the limit. A promotion
     * that is withdrawn, out of its dates or used up is refused with the reason. Asking again for the
     * same order gives the same answer; an order whose use was released cannot take it back.
     */
    async reserve(tenantId: string, r: { promotionId: string; orderId: string; clientId: string }) {
      const scope = tenantScope(tenantId);
      return db.withTenant(scope, async (tx): Promise<ReservationOutcome> => {
        const promo = await lockPromotion(tx, scope, r.promotionId);
        if (!promo) throw promotionNotFound();
        const existing = await findRedemption(tx, scope, promo.id, r.orderId);
        if (existing?.status === 'counted') return { status: 'reserved' };
        if (existing?.status === 'refused')
          return { status: 'refused', reason: existing.reason as PromotionRefusal };
        if (existing) throw reservationReleased();
        const at = now().getTime();
        const closed: PromotionRefusal | null = !promo.active
          ? 'inactive'
          : promo.startsAt && at < promo.startsAt.getTime()
            ? 'not_yet_valid'
            : promo.endsAt && at >= promo.endsAt.getTime()
              ? 'expired'
              : null;
        if (closed) {
          await insertRedemption(tx, scope, { ...r, status: 'refused', reason: closed });
          return { status: 'refused', reason: closed };
        }
        const outcome = await claimUse(tx, scope, promo, r);
        return outcome === 'counted' ? { status: 'reserved' } : { status: 'refused', reason: outcome };
      });
    },

    /** Gives back the use reserved for an order (cancelled); false when none was held. Idempotent. */
    async release(tenantId: string, orderId: string): Promise<boolean> {
      const scope = tenantScope(tenantId);
      return (await db.withTenant(scope, (tx) => releaseRedemption(tx, scope, orderId))) !== null;
    },
  };
}

export type PromotionsService = ReturnType<typeof createPromotionsService>;
