/**
 * bench/renewals' data, seeded set-based: one client, order and active monthly service per row, due
 * `dueInDays` after `today`, spread over `tenants` tenants, each tenant with a 21% VAT default.
 */
import { sql } from 'drizzle-orm';
import { type Database } from '../../packages/service-kit/src/db';
import { allTenants } from '../../packages/service-kit/src/tenant';

/** A deterministic UUID in a namespace (1 tenant, 2 client, 3 order, 4 service) for a row number. */
export const idOf = (space: number, n: string) =>
  sql.raw(`('0000000${space}-0000-7000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`);

export async function seedRenewals(db: Database, n: number, tenants: number, today: string): Promise<void> {
  const tenant = idOf(1, `1 + g % ${tenants}`);
  await db.withTenant(allTenants, async (tx) => {
    await tx.execute(sql`
      insert into clients (tenant_id, id, email, name, currency)
      select ${tenant}, ${idOf(2, 'g')}, 'c' || g || '@example.com', 'Client ' || g, 'EUR'
        from generate_series(1, ${n}) g`);
    await tx.execute(sql`
      insert into orders (id, tenant_id, client_id, status, currency, total, snapshot, placed_by)
      select ${idOf(3, 'g')}, ${tenant}, ${idOf(2, 'g')}, 'active', 'EUR', 999, '{}'::jsonb, ${idOf(2, 'g')}
        from generate_series(1, ${n}) g`);
    await tx.execute(sql`
      insert into client_services (id, tenant_id, client_id, order_id, product_id, product_name, product_type, module,
                                   cycle, quantity, currency, recurring_amount, registration_date, next_due_date,
                                   status)
      select ${idOf(4, 'g')}, ${tenant}, ${idOf(2, 'g')}, ${idOf(3, 'g')}, gen_random_uuid(), 'Starter',
             'shared_hosting', 'cpanel', 'monthly', 1, 'EUR', 999, ${today}::date - 28, ${today}::date + 3, 'active'
        from generate_series(1, ${n}) g`);
    await tx.execute(sql`
      insert into billing_settings (tenant_id, tax_rate_bps, tax_name)
      select ${tenant}, 2100, 'VAT' from generate_series(1, ${tenants}) g`);
  });
  await db.transaction((tx) => tx.execute(sql`analyze`));
}
