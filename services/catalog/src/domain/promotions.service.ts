import { PromotionRedeemed } from '@geminis/contracts';
import {
  ConflictError,
  newId,
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
  savePromotion,
} from '../store/promotions.store';
import { isUniqueViolation } from '../store/sql';
import { readScope, writeScope } from './context';
import { invalidField, promotionNotFound } from './errors';
import { type PromotionInput, type PromotionPatch } from './inputs';
import { normaliseCode, type Promotion } from './promotion';

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

export function createPromotionsService(deps: { db: Database; outbox: Outbox }) {
  const { db, outbox } = deps;

  async function save(scope: TenantScope, p: Promotion, isNew: boolean) {
    try {
      await db.withTenant(scope, (tx) => savePromotion(tx, scope, p, isNew));
    } catch (err) {
      throw isUniqueViolation(err) ? codeTaken() : err;
    }
  }

  return {
    async list(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listPromotions(tx, scope));
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
      if (await redemptionExists(tx, scope, promo.id, r.orderId)) return 'duplicate';
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
    },
  };
}

export type PromotionsService = ReturnType<typeof createPromotionsService>;
