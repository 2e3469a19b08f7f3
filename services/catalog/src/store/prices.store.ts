import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Cycle } from '../domain/cycles';
import { fromDbMinor, type Minor } from '../domain/money';
import { tenantIs, writeTenant } from './sql';

export type PriceKind = 'product' | 'wholesale' | 'offering' | 'option' | 'addon';

export interface Price {
  currency: string;
  cycle: Cycle;
  price: Minor;
  setupFee: Minor;
}

export interface OwnedPrice extends Price {
  tenantId: string;
  ownerId: string;
}

interface PriceRow {
  tenant_id: string;
  owner_id: string;
  currency: string;
  cycle: Cycle;
  price: string;
  setup_fee: string;
}

const toPrice = (r: PriceRow): OwnedPrice => ({
  tenantId: r.tenant_id,
  ownerId: r.owner_id,
  currency: r.currency,
  cycle: r.cycle,
  price: fromDbMinor(r.price),
  setupFee: fromDbMinor(r.setup_fee),
});

/** Replaces the whole price table of one owner (a product, an offering, an option choice…). */
export async function replacePrices(
  tx: Tx,
  scope: TenantScope,
  kind: PriceKind,
  ownerId: string,
  prices: Price[],
): Promise<void> {
  const tenantId = writeTenant(scope);
  await tx.execute(
    sql`delete from prices where tenant_id = ${tenantId} and kind = ${kind} and owner_id = ${ownerId}`,
  );
  for (const p of prices) {
    await tx.execute(sql`
      insert into prices (tenant_id, kind, owner_id, currency, cycle, price, setup_fee)
      values (${tenantId}, ${kind}, ${ownerId}, ${p.currency}, ${p.cycle}, ${p.price.toString()}::bigint,
              ${p.setupFee.toString()}::bigint)`);
  }
}

/** Prices of several owners of one kind, optionally in one currency. */
export async function pricesOf(
  tx: Tx,
  scope: TenantScope,
  kind: PriceKind,
  ownerIds: string[],
  currency?: string,
): Promise<OwnedPrice[]> {
  if (ownerIds.length === 0) return [];
  const rs = await rows<PriceRow>(
    tx,
    sql`select tenant_id, owner_id, currency, cycle, price, setup_fee from prices
        where ${tenantIs(scope)} and kind = ${kind}
          and owner_id = any(${`{${ownerIds.join(',')}}`}::uuid[])
          ${currency ? sql`and currency = ${currency}` : sql``}
        order by owner_id, currency, array_position(array['monthly','quarterly','semiannually','annually',
                 'biennially','triennially','onetime','free'], cycle)`,
  );
  return rs.map(toPrice);
}
