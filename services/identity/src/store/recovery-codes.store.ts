import { newId, rows, type Tx, type SingleTenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

type Scope = SingleTenantScope;

export async function replaceRecoveryCodes(
  tx: Tx,
  scope: Scope,
  userId: string,
  hashes: string[],
): Promise<void> {
  await tx.execute(
    sql`delete from recovery_codes where user_id = ${userId} and tenant_id = ${scope.tenantId}`,
  );
  for (const hash of hashes) {
    await tx.execute(
      sql`insert into recovery_codes (id, tenant_id, user_id, code_hash)
          values (${newId()}, ${scope.tenantId}, ${userId}, ${hash})`,
    );
  }
}

/** Uses a recovery code once, atomically. */
export async function useRecoveryCode(tx: Tx, scope: Scope, userId: string, hash: string): Promise<boolean> {
  const used = await rows<{ id: string }>(
    tx,
    sql`update recovery_codes set used_at = now()
        where user_id = ${userId} and tenant_id = ${scope.tenantId} and code_hash = ${hash} and used_at is null
        returning id`,
  );
  return used.length === 1;
}

export async function remainingRecoveryCodes(tx: Tx, scope: Scope, userId: string): Promise<number> {
  const [row] = await rows<{ n: number }>(
    tx,
    sql`select count(*)::int as n from recovery_codes
        where user_id = ${userId} and tenant_id = ${scope.tenantId} and used_at is null`,
  );
  return row?.n ?? 0;
}
