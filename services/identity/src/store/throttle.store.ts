import { rows, tenantIs, type SingleTenantScope, type TenantScope, type Tx } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';

/** Seconds until the key may try again (0: now). */
export async function throttledFor(tx: Tx, scope: SingleTenantScope, keyHash: string): Promise<number> {
  const [row] = await rows<{ wait: number }>(
    tx,
    sql`select greatest(0, ceil(extract(epoch from (blocked_until - now()))))::int as wait
          from login_throttle
         where key_hash = ${keyHash} and ${tenantIs(scope, sql`tenant_id`)}`,
  );
  return row?.wait ?? 0;
}

/**
 * Counts one failure of the key (failures older than `forgetAfterSec` are forgotten first) and, from the
 * `threshold`-th on, refuses the key for `baseSec × 2^(failures − threshold)` seconds, at most `maxSec`.
 * Returns the seconds the key is now refused for. One statement (it was an upsert, then an update).
 */
export async function recordFailure(
  tx: Tx,
  scope: SingleTenantScope,
  keyHash: string,
  rule: { threshold: number; baseSec: number; maxSec: number; forgetAfterSec: number },
): Promise<number> {
  // The count after this failure, for an existing row (t) — for a new row it is 1.
  const next = sql`(case when t.last_failure_at < now() - make_interval(secs => ${rule.forgetAfterSec})
                         then 1 else t.failures + 1 end)`;
  const blockFor = (failures: SQL) =>
    sql`now() + make_interval(secs => least(${rule.maxSec},
          ${rule.baseSec} * power(2, least(${failures} - ${rule.threshold}, 20)))::int)`;
  const [row] = await rows<{ wait: number }>(
    tx,
    sql`insert into login_throttle as t
          (tenant_id, key_hash, failures, last_failure_at, blocked_until)
        values (${scope.tenantId}, ${keyHash}, 1, now(),
                case when 1 >= ${rule.threshold} then ${blockFor(sql`1`)} else null end)
        on conflict (tenant_id, key_hash) do update set
          failures = ${next},
          last_failure_at = now(),
          blocked_until = case when ${next} >= ${rule.threshold} then ${blockFor(next)} else t.blocked_until end
        returning greatest(0, ceil(extract(epoch from (coalesce(blocked_until, now()) - now()))))::int as wait`,
  );
  return row?.wait ?? 0;
}

/** A success forgets the key's failures. */
export async function clearFailures(tx: Tx, scope: SingleTenantScope, keyHash: string): Promise<void> {
  await tx.execute(
    sql`delete from login_throttle where key_hash = ${keyHash} and ${tenantIs(scope, sql`tenant_id`)}`,
  );
}

/** Rows nobody failed with for a long time (the table would otherwise keep every address ever seen). */
export async function forgetOldFailures(tx: Tx, scope: TenantScope, olderThanSec: number): Promise<void> {
  await tx.execute(
    sql`delete from login_throttle
         where last_failure_at < now() - make_interval(secs => ${olderThanSec})
           and (blocked_until is null or blocked_until < now())
           and ${tenantIs(scope, sql`tenant_id`)}`,
  );
}
