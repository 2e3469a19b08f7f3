/**
 * bench/renewals: billing's nightly renewal run — renewal invoices with their lines, per-tenant gapless
 * numbers, the (service, period) keys and one outbox event each, issued set-based in bounded batches —
 * over BENCH_RENEWALS due services across BENCH_TENANTS tenants, beside the physical floor measured in the
 * same run on the same database: one bare set-based INSERT of as many invoice rows with a unique key into
 * an empty table. Goals (issue 16): renewal run ≤ 5× the floor, a second run of the same period issues 0
 * invoices in ≤ 1× the floor, resident memory < 300 MB throughout (the due set never enters Node).
 *
 * The floor is the best the bare insert can do here: best of 3 of each shape (one statement of all rows; and
 * batches of BENCH_BATCH rows, each its own transaction; ids by gen_random_uuid() or by MD5 of the row number),
 * each into a new empty table. The machine's load
 * average is printed before and after (the renewal run shares the CPUs with whatever else runs).
 *
 *   npm run bench -- renewals      (BENCH_RENEWALS=50000, BENCH_TENANTS=200, BENCH_BATCH=the job's default
 *                                   renewal batch, BENCH_LANES=the job's default lanes; the full size
 *                                   is BENCH_RENEWALS=1000000)
 *   bench/renewals/profile.ts      EXPLAIN (ANALYZE, BUFFERS, WAL) of one batch on the same seeded data
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { eventRegistry } from '@geminis/contracts';
import { sql } from 'drizzle-orm';
import { migrate, openPostgres, rows } from '../../packages/service-kit/src/db';
import { createOutbox } from '../../packages/service-kit/src/outbox';
import { allTenants } from '../../packages/service-kit/src/tenant';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import {
  createLifecycleJobs,
  DEFAULT_RENEWAL_BATCH_SIZE,
  DEFAULT_RENEWAL_LANES,
} from '../../services/billing/src/domain/lifecycle-jobs.service';
import { createSealer } from '../../services/billing/src/domain/secrets';
import { createSettlement } from '../../services/billing/src/domain/settlement.service';
import { idOf, seedRenewals } from './seed';

const N = Number(process.env.BENCH_RENEWALS ?? 50_000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const BATCH = Number(process.env.BENCH_BATCH ?? DEFAULT_RENEWAL_BATCH_SIZE);
const LANES = Number(process.env.BENCH_LANES ?? DEFAULT_RENEWAL_LANES);
const TODAY = '2026-06-10';
/** Billing's migrations (the directory service.ts names; the service module itself is not loaded here). */
const BILLING_MIGRATIONS = {
  name: 'billing',
  dir: join(__dirname, '..', '..', 'services', 'billing', 'src', 'store', 'migrations'),
};

const cpus = availableParallelism();
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

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
    await seedRenewals(db, N, TENANTS, TODAY);
    const seeded = seconds(seedStart);

    // The floor: a bare set-based insert of N invoice rows with a unique key into an empty table, best of 3
    // of each shape (one statement; batches of BATCH rows, each committed), each with its ids drawn either by
    // gen_random_uuid() or by MD5 of the row number (as cheap as an id gets in SQL: gen_random_uuid() costs
    // ~5.5 µs a call on the bench machine, several times an index insert; the renewal batch mints its ids).
    const tenant = idOf(1, `1 + g % ${TENANTS}`);
    const idBy = { random: sql`gen_random_uuid()`, md5: sql`md5(g::text)::uuid` };
    // WAL written meanwhile (the whole cluster's: run on a quiet machine), to set the two side by side in what
    // they must write, whatever the CPU and the disk make of it (the insert position moves at once; the
    // cumulative pg_stat_wal counters lag by up to a second)
    const lsn = async () => {
      const [w] = await db.transaction((tx) =>
        rows<{ lsn: string }>(tx, sql`select pg_current_wal_insert_lsn()::text as lsn`),
      );
      return w!.lsn;
    };
    const walOf = async <T>(fn: () => Promise<T>) => {
      const before = await lsn();
      const value = await fn();
      const after = await lsn();
      const [d] = await db.transaction((tx) =>
        rows<{ bytes: string }>(
          tx,
          sql`select pg_wal_lsn_diff(${after}::pg_lsn, ${before}::pg_lsn)::text as bytes`,
        ),
      );
      return { value, bytes: Number(d!.bytes) };
    };
    let floorWal = { bytes: 0 };
    const floorOf = async (batch: number, id: keyof typeof idBy) => {
      await db.transaction((tx) =>
        tx.execute(sql`drop table if exists bench_floor;
                       create table bench_floor (id uuid primary key, tenant_id uuid not null, number text not null,
                                                 total bigint not null, unique (tenant_id, number))`),
      );
      const start = process.hrtime.bigint();
      for (let from = 1; from <= N; from += batch)
        await db.transaction((tx) =>
          tx.execute(sql`insert into bench_floor select ${idBy[id]}, ${tenant}, 'INV-' || g, 1209
                           from generate_series(${from}::int, ${Math.min(N, from + batch - 1)}::int) g`),
        );
      return seconds(start);
    };
    const floors = { one: Infinity, batched: Infinity };
    for (let round = 0; round < 3; round++) {
      for (const id of ['random', 'md5'] as const) {
        floors.one = Math.min(floors.one, await floorOf(N, id));
        floors.batched = Math.min(floors.batched, await floorOf(BATCH, id));
      }
    }
    floorWal = await walOf(() => floorOf(BATCH, 'md5'));
    await db.transaction((tx) => tx.execute(sql`drop table bench_floor`));
    const floor = Math.min(floors.one, floors.batched);

    // The renewal job exactly as the scheduler runs it (bounded batches, each its own transaction).
    const outbox = createOutbox({ source: 'billing', registry: eventRegistry });
    const settlement = createSettlement({ outbox, sealer: createSealer(randomBytes(32).toString('hex')) });
    const jobs = createLifecycleJobs({
      db,
      settlement,
      now: () => new Date(`${TODAY}T02:00:00Z`),
      renewalBatchSize: BATCH,
      renewalLanes: LANES,
    });
    const rssBefore = process.memoryUsage().rss;
    const loadBefore = load();
    const runStart = process.hrtime.bigint();
    const renewal = await walOf(() => jobs.renew());
    const issued = renewal.value;
    const run = seconds(runStart);
    const againStart = process.hrtime.bigint();
    const again = await jobs.renew();
    const second = seconds(againStart);

    // After the runs (its locks would leave every service row marked for the run to clean up), the write set
    // alone: what a renewal run must write for the same services, nothing else — each batch of
    // BATCH services locked, and for each its renewal key, invoice, line and outbox event (the same columns,
    // constraints and indexes: tables made LIKE billing's, without their row-level security, parent-check
    // triggers and foreign keys), every value a cheap expression of the service row (no joins, tax,
    // numbering, promotions or lookups). No renewal run with this schema can take less; the ratio of the run
    // to it is what the renewal's reading and computing cost, the ratio of it to the floor what its writes do.
    const writeSet = await walOf(async () => {
      await db.transaction((tx) =>
        tx.execute(sql`drop table if exists ws_renewals, ws_invoices, ws_lines, ws_outbox;
                       create table ws_renewals (like service_renewals including all);
                       create table ws_invoices (like invoices including all);
                       create table ws_lines (like invoice_lines including all);
                       create table ws_outbox (like outbox including all)`),
      );
      const start = process.hrtime.bigint();
      for (let from = 1; from <= N; from += BATCH)
        await db.withTenant(allTenants, (tx) =>
          tx.execute(sql`
            with s as materialized (
              select s.tenant_id, s.id, s.client_id, s.currency, s.recurring_amount as price, s.next_due_date as due,
                     md5('i' || s.id::text)::uuid as invoice_id, md5('e' || s.id::text)::uuid as event_id
                from client_services s
               where s.id between ${idOf(4, String(from))} and ${idOf(4, String(Math.min(N, from + BATCH - 1)))}
               for update),
            r as (insert into ws_renewals (tenant_id, service_id, period_start, period_end, invoice_id)
                  select tenant_id, id, due, due + 30, invoice_id from s),
            i as (insert into ws_invoices (id, tenant_id, client_id, reason, number, status, currency, subtotal, tax_name,
                                           tax_rate_bps, tax_total, total, buyer, due_date)
                  select invoice_id, tenant_id, client_id, 'renewal', 'INV-' || id::text, 'unpaid', currency, price,
                         'VAT', 2100, price * 21 / 100, price + price * 21 / 100,
                         '{"name":"Client","email":"c@example.com"}'::jsonb, due from s),
            l as (insert into ws_lines (tenant_id, invoice_id, position, description, quantity, unit_price, setup_fee,
                                        discount, amount, tax, total, service_id, period_start, period_end)
                  select tenant_id, invoice_id, 1, 'Starter (' || due || ' – ' || (due + 30) || ')', 1, price, 0, 0,
                         price, price * 21 / 100, price + price * 21 / 100, id, due, due + 30 from s)
            insert into ws_outbox (id, tenant_id, type, envelope)
            select event_id, tenant_id, 'billing.invoice.issued.v1',
                   ('{"id":"' || event_id || '","type":"billing.invoice.issued.v1","tenantId":"' || tenant_id
                    || '","data":{"invoiceId":"' || invoice_id || '","clientId":"' || client_id || '","total":'
                    || (price + price * 21 / 100) || ',"dueDate":"' || due || '"}}')::json
              from s`),
        );
      const took = seconds(start);
      await db.transaction((tx) => tx.execute(sql`drop table ws_renewals, ws_invoices, ws_lines, ws_outbox`));
      return took;
    });

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
      `due services: ${N} across ${TENANTS} tenants (seeded in ${seeded.toFixed(1)} s), batch ${BATCH}, ${LANES} lane(s) on ${cpus} CPUs`,
    );
    console.log(
      `floor: bare insert of ${N} invoice rows with a unique key: ${floor.toFixed(2)} s (best of 3 of each shape and id; one statement ${floors.one.toFixed(2)} s, batches of ${BATCH} ${floors.batched.toFixed(2)} s)`,
    );
    console.log(
      `renewal run: ${issued} invoices + lines + numbers + renewal keys + outbox events: ${run.toFixed(2)} s, ${(issued / run).toFixed(0)} invoices/s`,
    );
    console.log(
      `the write set alone (each service locked, its renewal key, invoice, line and outbox row: the same indexes and constraints, values precomputed, no RLS, triggers, joins or numbering; batches of ${BATCH}): ${writeSet.value.toFixed(2)} s = ${(writeSet.value / floor).toFixed(2)}× the floor — no renewal run with this schema takes less; the run is ${(run / writeSet.value).toFixed(2)}× it`,
    );
    console.log(`ratio (renewal run / floor): ${(run / floor).toFixed(2)} (goal ≤ 5)`);
    console.log(
      `WAL per row: renewal ${(renewal.bytes / N).toFixed(0)} B per invoice (invoice, line, renewal key, outbox row, the service's lock, their indexes), floor ${(floorWal.bytes / N).toFixed(0)} B: ${(renewal.bytes / floorWal.bytes).toFixed(1)}×; the write set alone ${(writeSet.bytes / N).toFixed(0)} B`,
    );
    console.log(`load average (1, 5, 15 min) on ${cpus} CPUs: ${loadBefore} before the run, ${load()} after`);
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
