import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

/** The tax an invoice of a client is issued with (one rate for all its lines; 0 with a note when none). */
export interface TaxOfClient {
  name: string;
  rateBps: number;
  /** Why no tax is charged (reverse charge, exemption); null when the rate applies. */
  note: string | null;
}

/** billing_tax_for (migration 0017): the one resolver, shared with the set-based renewal run. */
export async function taxFor(tx: Tx, tenantId: string, clientId: string): Promise<TaxOfClient> {
  const [r] = await rows<{ name: string; rate_bps: number; note: string | null }>(
    tx,
    sql`select name, rate_bps, note from billing_tax_for(${tenantId}::uuid, ${clientId}::uuid)`,
  );
  return { name: r!.name, rateBps: r!.rate_bps, note: r!.note };
}

export interface TaxRule {
  country: string;
  /** '' or absent: the whole country. */
  region: string;
  name: string;
  rateBps: number;
}

export async function listTaxRules(tx: Tx, scope: TenantScope): Promise<TaxRule[]> {
  const rs = await rows<{ country: string; region: string; name: string; rate_bps: number }>(
    tx,
    sql`select country, region, name, rate_bps from tax_rules where ${tenantIs(scope)} order by country, region`,
  );
  return rs.map((r) => ({ country: r.country, region: r.region, name: r.name, rateBps: r.rate_bps }));
}

/** The tenant's rules become exactly these (a PUT of the whole list). */
export async function replaceTaxRules(tx: Tx, scope: TenantScope, rules: TaxRule[]): Promise<void> {
  const tenantId = writeTenant(scope);
  await tx.execute(sql`delete from tax_rules where ${tenantIs(scope)}`);
  for (const r of rules)
    await tx.execute(sql`
      insert into tax_rules (tenant_id, country, region, name, rate_bps)
      values (${tenantId}, ${r.country}, ${r.region}, ${r.name}, ${r.rateBps})`);
}

/** A client's tax facts as billing knows them (identity's events carry none). */
export interface TaxProfile {
  clientId: string;
  country: string | null;
  region: string | null;
  vatId: string | null;
  taxExempt: boolean;
  /** The VAT id was confirmed by the live VIES check (false: the check is off, VIES was down, or no id). */
  viesChecked: boolean;
}

export async function findTaxProfile(
  tx: Tx,
  scope: TenantScope,
  clientId: string,
): Promise<TaxProfile | null> {
  const [r] = await rows<{
    id: string;
    country: string | null;
    region: string | null;
    vat_id: string | null;
    tax_exempt: boolean;
    vies_checked: boolean;
  }>(
    tx,
    sql`select id, country, region, vat_id, tax_exempt, vies_checked from clients
         where ${tenantIs(scope)} and id = ${clientId}`,
  );
  return r
    ? {
        clientId: r.id,
        country: r.country,
        region: r.region,
        vatId: r.vat_id,
        taxExempt: r.tax_exempt,
        viesChecked: r.vies_checked,
      }
    : null;
}

/** False when the tenant has no such client. */
export async function saveTaxProfile(tx: Tx, scope: TenantScope, p: TaxProfile): Promise<boolean> {
  const r = await rows<{ id: string }>(
    tx,
    sql`update clients set country = ${p.country}, region = ${p.region}, vat_id = ${p.vatId},
               tax_exempt = ${p.taxExempt}, vies_checked = ${p.viesChecked}
         where ${tenantIs(scope)} and id = ${p.clientId} returning id`,
  );
  return r.length > 0;
}
