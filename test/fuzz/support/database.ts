import { allTenants, rows, type Database } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/** The superuser URL of the database a service's pool is connected to (to digest every table). */
export async function adminUrlOf(db: Database): Promise<string> {
  const [r] = await db.withTenant(allTenants, (tx) =>
    rows<{ name: string }>(tx, sql`select current_database() as name`),
  );
  const url = new URL(process.env.TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  url.pathname = `/${r!.name}`;
  return url.toString();
}
