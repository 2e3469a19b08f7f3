import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Cycle } from '../domain/cycles';
import { fromDbMinor, type Minor } from '../domain/money';
import { type Promotion } from '../domain/promotion';
import { json, tenantIs, writeTenant } from './sql';

interface PromotionRow {
  id: string;
  tenant_id: string;
  code: string;
  description: string;
  discount_kind: 'percent' | 'fixed';
  percent_bps: number | null;
  applies_to: 'order' | 'products' | 'groups';
  product_ids: string[];
  group_ids: string[];
  cycles: Cycle[];
  recurrence: 'first_payment' | 'recurring';
  recurring_cycles: number | null;
  free_setup: boolean;
  starts_at: Date | null;
  ends_at: Date | null;
  max_uses: number | null;
  max_uses_per_client: number | null;
  new_clients_only: boolean;
  redeemed: number;
  active: boolean;
  amounts: Record<string, string> | null;
}

const SELECT = sql`select p.*, (select json_object_agg(a.currency, a.amount::text) from promotion_amounts a
                                where a.tenant_id = p.tenant_id and a.promotion_id = p.id) as amounts
                   from promotions p`;

function toPromotion(r: PromotionRow): Promotion {
  const amounts: Record<string, Minor> = {};
  for (const [currency, amount] of Object.entries(r.amounts ?? {})) amounts[currency] = fromDbMinor(amount);
  return {
    id: r.id,
    tenantId: r.tenant_id,
    code: r.code,
    description: r.description,
    discount:
      r.discount_kind === 'percent'
        ? { kind: 'percent', bps: r.percent_bps ?? 0 }
        : { kind: 'fixed', amounts },
    appliesTo:
      r.applies_to === 'order'
        ? { kind: 'order' }
        : r.applies_to === 'products'
          ? { kind: 'products', productIds: r.product_ids }
          : { kind: 'groups', groupIds: r.group_ids },
    cycles: r.cycles,
    recurrence:
      r.recurrence === 'first_payment'
        ? { kind: 'first_payment' }
        : { kind: 'recurring', cycles: r.recurring_cycles },
    freeSetup: r.free_setup,
    startsAt: r.starts_at ? new Date(r.starts_at) : null,
    endsAt: r.ends_at ? new Date(r.ends_at) : null,
    maxUses: r.max_uses,
    maxUsesPerClient: r.max_uses_per_client,
    newClientsOnly: r.new_clients_only,
    redeemed: r.redeemed,
    active: r.active,
  };
}

/** Inserts or fully rewrites a promotion (the service validated and merged it). */
export async function savePromotion(tx: Tx, scope: TenantScope, p: Promotion, isNew: boolean): Promise<void> {
  const tenantId = writeTenant(scope);
  const values = {
    discountKind: p.discount.kind,
    bps: p.discount.kind === 'percent' ? p.discount.bps : null,
    productIds: p.appliesTo.kind === 'products' ? p.appliesTo.productIds : [],
    groupIds: p.appliesTo.kind === 'groups' ? p.appliesTo.groupIds : [],
    recurringCycles: p.recurrence.kind === 'recurring' ? p.recurrence.cycles : null,
  };
  if (isNew) {
    await tx.execute(sql`
      insert into promotions (id, tenant_id, code, description, discount_kind, percent_bps, applies_to, product_ids,
                              group_ids, cycles, recurrence, recurring_cycles, free_setup, starts_at, ends_at,
                              max_uses, max_uses_per_client, new_clients_only, active)
      values (${p.id}, ${tenantId}, ${p.code}, ${p.description}, ${values.discountKind}, ${values.bps},
              ${p.appliesTo.kind}, ${json(values.productIds)}, ${json(values.groupIds)}, ${json(p.cycles)},
              ${p.recurrence.kind}, ${values.recurringCycles}, ${p.freeSetup}, ${p.startsAt?.toISOString() ?? null},
              ${p.endsAt?.toISOString() ?? null}, ${p.maxUses}, ${p.maxUsesPerClient}, ${p.newClientsOnly}, ${p.active})`);
  } else {
    await tx.execute(sql`
      update promotions set code = ${p.code}, description = ${p.description}, discount_kind = ${values.discountKind},
             percent_bps = ${values.bps}, applies_to = ${p.appliesTo.kind}, product_ids = ${json(values.productIds)},
             group_ids = ${json(values.groupIds)}, cycles = ${json(p.cycles)}, recurrence = ${p.recurrence.kind},
             recurring_cycles = ${values.recurringCycles}, free_setup = ${p.freeSetup},
             starts_at = ${p.startsAt?.toISOString() ?? null}, ends_at = ${p.endsAt?.toISOString() ?? null},
             max_uses = ${p.maxUses}, max_uses_per_client = ${p.maxUsesPerClient},
             new_clients_only = ${p.newClientsOnly}, active = ${p.active}
      where tenant_id = ${tenantId} and id = ${p.id}`);
  }
  await tx.execute(
    sql`delete from promotion_amounts where tenant_id = ${tenantId} and promotion_id = ${p.id}`,
  );
  if (p.discount.kind === 'fixed') {
    for (const [currency, amount] of Object.entries(p.discount.amounts)) {
      await tx.execute(sql`
        insert into promotion_amounts (tenant_id, promotion_id, currency, amount)
        values (${tenantId}, ${p.id}, ${currency}, ${amount.toString()}::bigint)`);
    }
  }
}

export async function findPromotion(tx: Tx, scope: TenantScope, id: string): Promise<Promotion | null> {
  const [r] = await rows<PromotionRow>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`p.tenant_id`)} and p.id = ${id}`,
  );
  return r ? toPromotion(r) : null;
}

/** By code, case-insensitively (codes are stored upper-case). */
export async function findPromotionByCode(
  tx: Tx,
  scope: TenantScope,
  code: string,
): Promise<Promotion | null> {
  const [r] = await rows<PromotionRow>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`p.tenant_id`)} and p.code = ${code.trim().toUpperCase()}`,
  );
  return r ? toPromotion(r) : null;
}

/**
 * Whether a code exists among the PLATFORM's promotions — the only cross-tenant question about promotions,
 * asked so a reseller's client typing a platform code hears "wrong storefront" rather than "unknown".
 * Other resellers' codes are never looked at (that would be an existence oracle). Run under allTenants.
 */
export async function platformHasCode(tx: Tx, platformTenantId: string, code: string): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`select id from promotions where tenant_id = ${platformTenantId} and code = ${code.trim().toUpperCase()}`,
  );
  return r.length > 0;
}

export async function listPromotions(tx: Tx, scope: TenantScope): Promise<Promotion[]> {
  const rs = await rows<PromotionRow>(
    tx,
    sql`${SELECT} where ${tenantIs(scope, sql`p.tenant_id`)} order by p.tenant_id, p.code`,
  );
  return rs.map(toPromotion);
}

/** Locks the promotion row for the rest of the transaction: redemptions of one promotion serialise here. */
export async function lockPromotion(tx: Tx, scope: TenantScope, id: string): Promise<Promotion | null> {
  await tx.execute(sql`select id from promotions where ${tenantIs(scope)} and id = ${id} for update`);
  return findPromotion(tx, scope, id);
}

export async function countClientRedemptions(
  tx: Tx,
  scope: TenantScope,
  promotionId: string,
  clientId: string,
): Promise<number> {
  const [r] = await rows<{ n: number }>(
    tx,
    sql`select count(*)::int as n from promotion_redemptions
        where ${tenantIs(scope)} and promotion_id = ${promotionId} and client_id = ${clientId} and status = 'counted'`,
  );
  return r?.n ?? 0;
}

/** Records the outcome for (promotion, order); false when this order was already recorded. */
export async function insertRedemption(
  tx: Tx,
  scope: TenantScope,
  r: {
    promotionId: string;
    orderId: string;
    clientId: string;
    status: 'counted' | 'refused';
    reason?: string;
  },
): Promise<boolean> {
  const inserted = await rows<{ order_id: string }>(
    tx,
    sql`insert into promotion_redemptions (tenant_id, promotion_id, order_id, client_id, status, reason)
        values (${writeTenant(scope)}, ${r.promotionId}, ${r.orderId}, ${r.clientId}, ${r.status}, ${r.reason ?? null})
        on conflict do nothing returning order_id`,
  );
  return inserted.length > 0;
}

/** Counts one use only while under the limit; false (nothing changed) when the limit is already reached. */
export async function incrementRedeemed(tx: Tx, scope: TenantScope, promotionId: string): Promise<boolean> {
  const updated = await rows<{ id: string }>(
    tx,
    sql`update promotions set redeemed = redeemed + 1
        where ${tenantIs(scope)} and id = ${promotionId} and (max_uses is null or redeemed < max_uses)
        returning id`,
  );
  return updated.length > 0;
}

export async function redemptionExists(tx: Tx, scope: TenantScope, promotionId: string, orderId: string) {
  const r = await rows<{ one: number }>(
    tx,
    sql`select 1 as one from promotion_redemptions
        where ${tenantIs(scope)} and promotion_id = ${promotionId} and order_id = ${orderId}`,
  );
  return r.length > 0;
}

export interface RedemptionRow {
  promotionId: string;
  status: 'counted' | 'refused' | 'released';
  reason: string | null;
}

/** The redemption recorded for (promotion, order), if any. */
export async function findRedemption(
  tx: Tx,
  scope: TenantScope,
  promotionId: string,
  orderId: string,
): Promise<RedemptionRow | null> {
  const [r] = await rows<{ promotion_id: string; status: RedemptionRow['status']; reason: string | null }>(
    tx,
    sql`select promotion_id, status, reason from promotion_redemptions
        where ${tenantIs(scope)} and promotion_id = ${promotionId} and order_id = ${orderId}`,
  );
  return r ? { promotionId: r.promotion_id, status: r.status, reason: r.reason } : null;
}

/**
 * Gives back the counted use of an order (at most one promotion per order): the row becomes 'released'
 * and the promotion's count goes down by one, in the same transaction. Returns the promotion released.
 */
export async function releaseRedemption(tx: Tx, scope: TenantScope, orderId: string): Promise<string | null> {
  const [r] = await rows<{ promotion_id: string }>(
    tx,
    sql`update promotion_redemptions set status = 'released', released_at = now()
        where ${tenantIs(scope)} and order_id = ${orderId} and status = 'counted'
        returning promotion_id`,
  );
  if (!r) return null;
  await tx.execute(
    sql`update promotions set redeemed = redeemed - 1
        where ${tenantIs(scope)} and id = ${r.promotion_id} and redeemed > 0`,
  );
  return r.promotion_id;
}
