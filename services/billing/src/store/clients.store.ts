import { rows, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { tenantIs, writeTenant } from './sql';

export interface Client {
  tenantId: string;
  id: string;
  email: string;
  name: string;
  currency: string;
  /** Billing's own tax facts of the client (its tax profile; identity's events carry none). */
  country?: string | null;
  region?: string | null;
  vatId?: string | null;
}

/** What an invoice records of its buyer at issue time. */
export const buyerOf = (c: Client) => ({
  name: c.name,
  email: c.email,
  ...(c.country ? { country: c.country } : {}),
  ...(c.region ? { region: c.region } : {}),
  ...(c.vatId ? { vatId: c.vatId } : {}),
});

/** The projection of identity's clients: the latest email, name and currency we heard of. */
export async function upsertClient(tx: Tx, scope: TenantScope, c: Omit<Client, 'tenantId'>): Promise<void> {
  await tx.execute(sql`
    insert into clients (tenant_id, id, email, name, currency)
    values (${writeTenant(scope)}, ${c.id}, ${c.email}, ${c.name}, ${c.currency})
    on conflict (tenant_id, id) do update set email = excluded.email, name = excluded.name,
      currency = excluded.currency`);
}

type Row = {
  tenant_id: string;
  id: string;
  email: string;
  name: string;
  currency: string;
  country: string | null;
  region: string | null;
  vat_id: string | null;
};
const toClient = (r: Row): Client => ({
  tenantId: r.tenant_id,
  id: r.id,
  email: r.email,
  name: r.name,
  currency: r.currency,
  country: r.country,
  region: r.region,
  vatId: r.vat_id,
});

export async function findClient(tx: Tx, scope: TenantScope, id: string): Promise<Client | null> {
  const [r] = await rows<Row>(tx, sql`select * from clients where ${tenantIs(scope)} and id = ${id}`);
  return r ? toClient(r) : null;
}

/** Locks the client's row: spending its credit is serialised here (the balance is a sum of entries). */
export async function lockClient(tx: Tx, scope: TenantScope, id: string): Promise<Client | null> {
  const [r] = await rows<Row>(
    tx,
    sql`select * from clients where ${tenantIs(scope)} and id = ${id} for update`,
  );
  return r ? toClient(r) : null;
}
