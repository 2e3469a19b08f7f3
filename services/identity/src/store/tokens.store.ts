import { rows, type TenantScope, type Tx, type SingleTenantScope } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';

type Scope = SingleTenantScope;

export interface RefreshRow {
  id: string;
  tenant_id: string;
  user_id: string;
  family_id: string;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/**
 * Stores a refresh token. `along`: another insert run in the same statement (a data-modifying CTE, e.g.
 * the audit entry of the sign-in), one round trip for both.
 */
export async function insertRefreshToken(
  tx: Tx,
  scope: Scope,
  t: { id: string; userId: string; familyId: string; hash: string; ttlSec: number },
  along?: SQL,
): Promise<void> {
  await tx.execute(
    sql`${along ? sql`with along as (${along}) ` : sql``}insert into refresh_tokens (id, tenant_id, user_id, family_id, token_hash, expires_at)
        values (${t.id}, ${scope.tenantId}, ${t.userId}, ${t.familyId}, ${t.hash},
                now() + make_interval(secs => ${t.ttlSec}))`,
  );
}

/**
 * The atomic consume: exactly one caller can flip used_at from null, so ten concurrent uses of one token
 * produce at most one rotation. Returns undefined when the token is unknown, used, revoked or expired.
 */
export async function consumeRefreshToken(
  tx: Tx,
  scope: Scope,
  hash: string,
): Promise<RefreshRow | undefined> {
  const [row] = await rows<RefreshRow>(
    tx,
    sql`update refresh_tokens set used_at = now()
        where token_hash = ${hash} and tenant_id = ${scope.tenantId}
          and used_at is null and revoked_at is null and expires_at > now()
        returning id, tenant_id, user_id, family_id, expires_at, used_at, revoked_at`,
  );
  return row;
}

export async function findRefreshToken(tx: Tx, scope: Scope, hash: string): Promise<RefreshRow | undefined> {
  const [row] = await rows<RefreshRow>(
    tx,
    sql`select id, tenant_id, user_id, family_id, expires_at, used_at, revoked_at from refresh_tokens
        where token_hash = ${hash} and tenant_id = ${scope.tenantId}`,
  );
  return row;
}

export async function revokeFamily(tx: Tx, scope: Scope, familyId: string): Promise<number> {
  const revoked = await rows<{ id: string }>(
    tx,
    sql`update refresh_tokens set revoked_at = now()
        where family_id = ${familyId} and tenant_id = ${scope.tenantId} and revoked_at is null returning id`,
  );
  return revoked.length;
}

export async function revokeAllForUser(tx: Tx, scope: TenantScope, userId: string): Promise<void> {
  await tx.execute(
    sql`update refresh_tokens set revoked_at = now() where user_id = ${userId} and revoked_at is null
        ${scope.kind === 'tenant' ? sql`and tenant_id = ${scope.tenantId}` : sql``}`,
  );
}

export async function revokeAllForTenant(tx: Tx, scope: Scope): Promise<void> {
  await tx.execute(
    sql`update refresh_tokens set revoked_at = now() where tenant_id = ${scope.tenantId} and revoked_at is null`,
  );
}

export type OneTimePurpose = 'password_reset' | 'login_2fa';

export async function insertOneTimeToken(
  tx: Tx,
  scope: Scope,
  t: { id: string; userId: string; purpose: OneTimePurpose; hash: string; ttlSec: number; tokenEnc?: string },
): Promise<Date> {
  const [row] = await rows<{ expires_at: Date }>(
    tx,
    sql`insert into one_time_tokens (id, tenant_id, user_id, purpose, token_hash, token_enc, expires_at)
        values (${t.id}, ${scope.tenantId}, ${t.userId}, ${t.purpose}, ${t.hash}, ${t.tokenEnc ?? null},
                now() + make_interval(secs => ${t.ttlSec}))
        returning expires_at`,
  );
  return new Date(row!.expires_at);
}

/** Marks a one-time token used, atomically; undefined when unknown, used, expired or another purpose. */
export async function consumeOneTimeToken(
  tx: Tx,
  scope: Scope,
  purpose: OneTimePurpose,
  hash: string,
): Promise<{ id: string; userId: string } | undefined> {
  const [row] = await rows<{ id: string; user_id: string }>(
    tx,
    sql`update one_time_tokens set used_at = now()
        where token_hash = ${hash} and tenant_id = ${scope.tenantId} and purpose = ${purpose}
          and used_at is null and expires_at > now()
        returning id, user_id`,
  );
  return row && { id: row.id, userId: row.user_id };
}

/** Reads a live one-time token and counts an attempt (a 2FA challenge allows a few codes, not many). */
export async function touchOneTimeToken(
  tx: Tx,
  scope: Scope,
  purpose: OneTimePurpose,
  hash: string,
  maxAttempts: number,
): Promise<{ id: string; userId: string } | undefined> {
  const [row] = await rows<{ id: string; user_id: string }>(
    tx,
    sql`update one_time_tokens set attempts = attempts + 1
        where token_hash = ${hash} and tenant_id = ${scope.tenantId} and purpose = ${purpose}
          and used_at is null and expires_at > now() and attempts < ${maxAttempts}
        returning id, user_id`,
  );
  return row && { id: row.id, userId: row.user_id };
}

export async function markOneTimeTokenUsed(tx: Tx, scope: Scope, id: string): Promise<boolean> {
  const done = await rows<{ id: string }>(
    tx,
    sql`update one_time_tokens set used_at = now()
        where id = ${id} and tenant_id = ${scope.tenantId} and used_at is null returning id`,
  );
  return done.length === 1;
}

export async function invalidateOneTimeTokens(
  tx: Tx,
  scope: Scope,
  userId: string,
  purpose: OneTimePurpose,
): Promise<void> {
  await tx.execute(
    sql`update one_time_tokens set used_at = now()
        where user_id = ${userId} and tenant_id = ${scope.tenantId} and purpose = ${purpose} and used_at is null`,
  );
}

/** The sealed token of a live password reset, for the notifications side (never logged, never an event). */
export async function sealedResetToken(tx: Tx, scope: Scope, resetId: string): Promise<string | undefined> {
  const [row] = await rows<{ token_enc: string | null }>(
    tx,
    sql`select token_enc from one_time_tokens
        where id = ${resetId} and tenant_id = ${scope.tenantId} and purpose = 'password_reset'
          and used_at is null and expires_at > now()`,
  );
  return row?.token_enc ?? undefined;
}
