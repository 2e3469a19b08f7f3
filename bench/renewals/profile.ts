/**
 * bench/renewals/profile.ts: EXPLAIN (ANALYZE, BUFFERS) of the renewal batch statement on seeded data,
 * rolled back after each plan so the data stays due. Not run by `npm run bench`.
 *
 *   PROFILE_DB_URL unset: seeds BENCH_RENEWALS services into a new database and keeps it (prints its URL);
 *   PROFILE_DB_URL=…: profiles that database again. PROFILE_BATCHES=500,2000 (sizes to plan).
 *   PROFILE_ANALYZE=0: the plans only (EXPLAIN, not run).
 */
import { join } from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { migrate, openPostgres, rows } from '../../packages/service-kit/src/db';
import { allTenants } from '../../packages/service-kit/src/tenant';
import { createTestDatabase } from '../../packages/service-kit/src/testing/postgres';
import {
  issueRenewalBatch,
  longestLeadDays,
  type RenewalCursor,
} from '../../services/billing/src/store/renewals.store';
import { seedRenewals } from './seed';

const N = Number(process.env.BENCH_RENEWALS ?? 50_000);
const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const TODAY = '2026-06-10';
const BILLING_MIGRATIONS = {
  name: 'billing',
  dir: join(__dirname, '..', '..', 'services', 'billing', 'src', 'store', 'migrations'),
};

class Rollback extends Error {}
const dialect = new PgDialect();
/** PROFILE_LANE=0/2: the batch of lane 0 of 2 (a run's lanes, lifecycle-jobs renewalLanes). */
const [laneIs, laneOf] = (process.env.PROFILE_LANE ?? '').split('/').map(Number);
const lane = laneOf ? { is: laneIs!, of: laneOf } : null;

async function main() {
  let url = process.env.PROFILE_DB_URL;
  if (!url) {
    const testDb = await createTestDatabase('gm_prof_renewals');
    url = testDb.url;
    const seedDb = openPostgres({ url, max: 1 });
    await migrate(seedDb, [BILLING_MIGRATIONS]);
    await seedRenewals(seedDb, N, TENANTS, TODAY);
    await seedDb.close();
    console.log(`seeded ${N}: PROFILE_DB_URL=${url}`);
  }
  const db = openPostgres({ url, max: 1 });
  const sizes = (process.env.PROFILE_BATCHES ?? '500').split(',').map(Number);
  try {
    for (const size of sizes) {
      await db
        .withTenant(allTenants, async (tx) => {
          // PROFILE_SET='work_mem=64MB;…': settings for this transaction only (set local), to compare plans
          for (const kv of (process.env.PROFILE_SET ?? '').split(';').filter(Boolean)) {
            const [k, v] = kv.split('=');
            await tx.execute(sql`select set_config(${k!.trim()}, ${v!.trim()}, true)`);
          }
          const horizon = await longestLeadDays(tx, allTenants);
          // PROFILE_WARM=k: k batches issued first (same transaction, rolled back too): a batch mid-run
          let after: RenewalCursor | null = null;
          for (let i = 0; i < Number(process.env.PROFILE_WARM ?? 0); i++)
            after = (await issueRenewalBatch(tx, allTenants, TODAY, size, after, horizon, null, lane)).last;
          const explaining = new Proxy(tx, {
            get(target, prop, receiver) {
              if (prop !== 'execute') return Reflect.get(target, prop, receiver);
              return async (q: SQL) => {
                // the batch statement only (the settings around it run as they are)
                if (!dialect.sqlToQuery(q).sql.includes('walk as materialized')) return target.execute(q);
                const t = Date.now();
                const r = await rows<{ 'QUERY PLAN': string }>(
                  target,
                  process.env.PROFILE_ANALYZE === '0'
                    ? sql`explain ${q}`
                    : sql`explain (analyze, buffers, wal, verbose off) ${q}`,
                );
                console.log(`--- batch ${size}: ${Date.now() - t} ms`);
                console.log(r.map((x) => x['QUERY PLAN']).join('\n'));
                return { rows: [{ more: false, selected: 0, issued: 0 }] };
              };
            },
          });
          await issueRenewalBatch(explaining, allTenants, TODAY, size, after, horizon, null, lane);
          throw new Rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Rollback)) throw e;
        });
    }
  } finally {
    await db.close();
  }
}

void main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
