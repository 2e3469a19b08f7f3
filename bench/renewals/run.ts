/**
 * bench/renewals: billing's nightly renewal run — renewal invoices with their lines, per-tenant gapless
 * numbers, the (service, period) keys and one outbox event each, issued set-based in bounded batches —
 * over BENCH_RENEWALS due services across BENCH_TENANTS tenants, beside the physical floor measured in the
 * same run on the same database: one bare set-based INSERT of as many invoice rows with a unique key into
 * an empty table. Goals (issue 16): renewal run ≤ 5× the floor, a second run of the same period issues 0
 * invoices in ≤ 1× the floor, resident memory < 300 MB throughout (the due set never enters Node).
 *
 *   npm run bench -- renewals      (BENCH_RENEWALS=50000, BENCH_TENANTS=200 by default; the issue's
 *                                   full size is BENCH_RENEWALS=1000000)
 */
import { randomBytes } from 'node:crypto';
import { eventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { migrate, openPostgres, rows } from '../../packages/service-kit/src/db';
import { createOutbox } from '../../packages/service-kit/src/outbox';
import { allTenants } from '../../packages/service-kit/src/tenant';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import {
  createLifecycleJobs,
  DEFAULT_BATCH_SIZE,
} from '../../services/billing/src/domain/lifecycle-jobs.service';
import { createSealer } from '../../services/billing/src/domain/secrets';
import { createSettlement } from '../../services/billing/src/domain/settlement.service';
import { BILLING_MIGRATIONS } from '../../services/billing/src/service';

const N = Number(process.env.BENCH_RENEWALS ?? 50_000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const BATCH = Number(process.env.BENCH_BATCH ?? DEFAULT_BATCH_SIZE);
const TODAY = '2026-06-10';

/** A deterministic UUID in a namespace (1 tenant, 2 client, 3 order, 4 service) for a row number. */
const idOf = (space: number, n: string) =>
  sql.raw(`('0000000${space}-0000-7000-8000-' || lpad(to_hex(${n}), 12, '0'))::uuid`);

const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function main() {
  const testDb = await createTestDatabase('gm_bench_renewals');
  const db = openPostgres({ url: testDb.url, max: 4 });
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  try {
    await migrate(db, [BILLING_MIGRATIONS]);

    // Seeding, set-based (not measured): one client, order and active monthly service per row, due in 3 days.
    const seedStart = process.hrtime.bigint();
    const tenant = idOf(1, `1 + g % ${TENANTS}`);
    await db.withTenant(allTenants, async (tx) => {
      await tx.execute(sql`
        insert into clients (tenant_id, id, email, name, currency)
        select ${tenant}, ${idOf(2, 'g')}, 'c' || g || '@example.com', 'Client ' || g, 'EUR'
          from generate_series(1, ${N}) g`);
      await tx.execute(sql`
        insert into orders (id, tenant_id, client_id, status, currency, total, snapshot, placed_by)
        select ${idOf(3, 'g')}, ${tenant}, ${idOf(2, 'g')}, 'active', 'EUR', 999, '{}'::jsonb, ${idOf(2, 'g')}
          from generate_series(1, ${N}) g`);
      await tx.execute(sql`
        insert into client_services (id, tenant_id, client_id, order_id, product_id, product_name, product_type, module,
                                     cycle, quantity, currency, recurring_amount, registration_date, next_due_date,
                                     status)
        select ${idOf(4, 'g')}, ${tenant}, ${idOf(2, 'g')}, ${idOf(3, 'g')}, gen_random_uuid(), 'Starter',
               'shared_hosting', 'cpanel', 'monthly', 1, 'EUR', 999, ${TODAY}::date - 28, ${TODAY}::date + 3, 'active'
          from generate_series(1, ${N}) g`);
      await tx.execute(sql`
        insert into billing_settings (tenant_id, tax_rate_bps, tax_name)
        select ${tenant}, 2100, 'VAT' from generate_series(1, ${TENANTS}) g`);
    });
    await db.transaction((tx) => tx.execute(sql`analyze`));
    const seeded = seconds(seedStart);

    // The floor: one bare set-based insert of N invoice rows with a unique key into an empty table.
    await db.transaction((tx) =>
      tx.execute(sql`create table bench_floor (id uuid primary key, tenant_id uuid not null, number text not null,
                                              total bigint not null, unique (tenant_id, number))`),
    );
    const floorStart = process.hrtime.bigint();
    await db.transaction((tx) =>
      tx.execute(sql`insert into bench_floor select gen_random_uuid(), ${tenant}, 'INV-' || g, 1209
                       from generate_series(1, ${N}) g`),
    );
    const floor = seconds(floorStart);

    // The renewal job exactly as the scheduler runs it (bounded batches, each its own transaction).
    const outbox = createOutbox({ source: 'billing', registry: eventRegistry });
    const settlement = createSettlement({ outbox, sealer: createSealer(randomBytes(32).toString('hex')) });
    const jobs = createLifecycleJobs({
      db,
      settlement,
      now: () => new Date(`${TODAY}T02:00:00Z`),
      batchSize: BATCH,
    });
    const rssBefore = process.memoryUsage().rss;
    const runStart = process.hrtime.bigint();
    const issued = await jobs.renew();
    const run = seconds(runStart);
    const againStart = process.hrtime.bigint();
    const again = await jobs.renew();
    const second = seconds(againStart);

    const [check] = await db.withTenant(allTenants, (tx) =>
      rows<{ invoices: number; lines: number; events: number; gaps: number }>(
        tx,
        sql`select (select count(*) from invoices where reason = 'renewal')::int as invoices,
                   (select count(*) from invoice_lines)::int as lines,
                   (select count(*) from outbox where type = 'billing.invoice.issued.v1')::int as events,
                   (select count(*) from (
                      select tenant_id, count(*) as n, max(substring(number from '[0-9]+$')::int) as top
                        from invoices group by tenant_id) t where n <> top)::int as gaps`,
      ),
    );
    if (
      !check ||
      check.invoices !== N ||
      check.lines !== N ||
      check.events !== N ||
      check.gaps !== 0 ||
      again !== 0
    )
      throw new Error(`renewal run incomplete: ${JSON.stringify({ issued, again, ...check })}`);

    console.log(
      `due services: ${N} across ${TENANTS} tenants (seeded in ${seeded.toFixed(1)} s), batch ${BATCH}`,
    );
    console.log(`floor: bare insert of ${N} invoice rows with a unique key: ${floor.toFixed(2)} s`);
    console.log(
      `renewal run: ${issued} invoices + lines + numbers + renewal keys + outbox events: ${run.toFixed(2)} s, ${(issued / run).toFixed(0)} invoices/s`,
    );
    console.log(`ratio (renewal run / floor): ${(run / floor).toFixed(2)} (goal ≤ 5)`);
    console.log(
      `second run of the same period: ${again} invoices in ${second.toFixed(2)} s, ratio ${(second / floor).toFixed(2)} (goal ≤ 1)`,
    );
    console.log(
      `peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MB (goal < 300; ${(rssBefore / 1024 / 1024).toFixed(0)} MB before the run: the due set never enters Node)`,
    );
  } finally {
    clearInterval(sampler);
    await db.close();
    await testDb.drop();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
