import { type PromotionRefusalReason } from '@geminis/contracts';
import { type Cycle } from './cycles';
import { type Minor } from './money';

export type PromotionDiscount =
  | { kind: 'percent'; bps: number }
  /** A fixed amount per currency; a currency without an amount cannot use the promotion. */
  | { kind: 'fixed'; amounts: Record<string, Minor> };

export type PromotionScope =
  { kind: 'order' } | { kind: 'products'; productIds: string[] } | { kind: 'groups'; groupIds: string[] };

/** first payment only, or every renewal for `cycles` periods after the first (null = for as long as it runs). */
export type PromotionRecurrence = { kind: 'first_payment' } | { kind: 'recurring'; cycles: number | null };

export interface Promotion {
  id: string;
  tenantId: string;
  code: string;
  description: string;
  discount: PromotionDiscount;
  appliesTo: PromotionScope;
  /** Empty = every cycle. */
  cycles: Cycle[];
  recurrence: PromotionRecurrence;
  freeSetup: boolean;
  /** Valid from (inclusive). */
  startsAt: Date | null;
  /** Valid until (exclusive). */
  endsAt: Date | null;
  maxUses: number | null;
  maxUsesPerClient: number | null;
  newClientsOnly: boolean;
  redeemed: number;
  active: boolean;
}

/** Why a promotion does not apply; each maps to an error code `catalog.promotion_<reason>`. */
export type PromotionRefusal = PromotionRefusalReason;

export const REFUSAL_DETAIL: Readonly<Record<PromotionRefusal, string>> = {
  wrong_tenant: 'this promotion belongs to another storefront and cannot be used here',
  inactive: 'this promotion has been withdrawn',
  not_yet_valid: 'this promotion is not valid yet',
  expired: 'this promotion has expired',
  limit_reached: 'this promotion has reached its usage limit',
  client_limit_reached: 'you have already used this promotion as many times as allowed',
  new_clients_only: 'this promotion is for new clients only',
  currency_not_supported: 'this promotion has no amount in the currency of this order',
  not_applicable: 'this promotion does not apply to any item in this order',
};

/** What the rules look at on each line: the product, its group and the cycle (domains have neither). */
export interface EligibleLine {
  productId: string | null;
  /** A resold product: the platform's id (a reseller's promotion may name either). */
  platformProductId?: string | null;
  groupId: string | null;
  cycle: Cycle | null;
}

export interface PromotionContext {
  tenantId: string;
  now: Date;
  currency: string;
  lines: EligibleLine[];
  /** Unknown (anonymous quote): rules about the client are checked again when the order is placed. */
  client?: { isNew: boolean; redemptions: number };
}

export function lineIsEligible(promo: Promotion, line: EligibleLine): boolean {
  if (promo.cycles.length > 0 && (line.cycle === null || !promo.cycles.includes(line.cycle))) return false;
  switch (promo.appliesTo.kind) {
    case 'order':
      return true;
    case 'products': {
      const named = promo.appliesTo.productIds;
      return [line.productId, line.platformProductId].some((id) => id != null && named.includes(id));
    }
    case 'groups':
      return line.groupId !== null && promo.appliesTo.groupIds.includes(line.groupId);
  }
}

/**
 * The rules, in the order a client would want them explained: whose promotion it is, whether it is live,
 * its limits, who may use it, then whether it fits this order. The first failing rule is the reason.
 */
export function checkPromotion(promo: Promotion, ctx: PromotionContext): PromotionRefusal | null {
  if (promo.tenantId !== ctx.tenantId) return 'wrong_tenant';
  if (!promo.active) return 'inactive';
  if (promo.startsAt && ctx.now.getTime() < promo.startsAt.getTime()) return 'not_yet_valid';
  if (promo.endsAt && ctx.now.getTime() >= promo.endsAt.getTime()) return 'expired';
  if (promo.maxUses !== null && promo.redeemed >= promo.maxUses) return 'limit_reached';
  if (ctx.client) {
    if (promo.maxUsesPerClient !== null && ctx.client.redemptions >= promo.maxUsesPerClient)
      return 'client_limit_reached';
    if (promo.newClientsOnly && !ctx.client.isNew) return 'new_clients_only';
  }
  if (promo.discount.kind === 'fixed' && promo.discount.amounts[ctx.currency] === undefined)
    return 'currency_not_supported';
  if (!ctx.lines.some((line) => lineIsEligible(promo, line))) return 'not_applicable';
  return null;
}

/** Case-insensitive codes: stored as given, compared and kept unique in upper case. */
export const normaliseCode = (code: string): string => code.trim().toUpperCase();
