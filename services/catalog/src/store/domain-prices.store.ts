import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { fromDbMinor, type Minor } from '../domain/money';
import { tenantIs, writeTenant } from './sql';

export interface DomainPrice {
  tld: string;
  currency: string;
  years: number;
  register: Minor;
  renew: Minor;
  transfer: Minor;
}

interface Row {
  tenant_id: string;
  tld: string;
  currency: string;
  years: number;
  register: string;
  renew: string;
  transfer: string;
}

export async function replaceTldPrices(tx: Tx, scope: TenantScope, tld: string, prices: DomainPrice[]) {
  const tenantId = writeTenant(scope);
  await tx.execute(sql`delete from domain_prices where tenant_id = ${tenantId} and tld = ${tld}`);
  for (const p of prices) {
    await tx.execute(sql`
      insert into domain_prices (tenant_id, tld, currency, years, register, renew, transfer)
      values (${tenantId}, ${tld}, ${p.currency}, ${p.years}, ${p.register.toString()}::bigint,
              ${p.renew.toString()}::bigint, ${p.transfer.toString()}::bigint)`);
  }
}

export async function deleteTld(tx: Tx, scope: TenantScope, tld: string): Promise<boolean> {
  const gone = await rows<{ tld: string }>(
    tx,
    sql`delete from domain_prices where ${tenantIs(scope)} and tld = ${tld} returning tld`,
  );
  return gone.length > 0;
}

export async function listDomainPrices(
  tx: Tx,
  scope: TenantScope,
  filter: { currency?: string; tld?: string } = {},
): Promise<(DomainPrice & { tenantId: string })[]> {
  const rs = await rows<Row>(
    tx,
    sql`select * from domain_prices where ${tenantIs(scope)}
        ${filter.currency ? sql`and currency = ${filter.currency}` : sql``}
        ${filter.tld ? sql`and tld = ${filter.tld}` : sql``}
        order by tenant_id, tld, currency, years`,
  );
  return rs.map((r) => ({
    tenantId: r.tenant_id,
    tld: r.tld,
    currency: r.currency,
    years: r.years,
    register: fromDbMinor(r.register),
    renew: fromDbMinor(r.renew),
    transfer: fromDbMinor(r.transfer),
  }));
}
