import {
  rows,
  type Role,
  type TenantScope,
  type Tx,
  tenantIs,
  type SingleTenantScope,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type User, type UserCredentials, type UserStatus } from '../domain/types';

interface UserRow {
  id: string;
  tenant_id: string;
  role: Role;
  status: UserStatus;
  email: string;
  name: string;
  language: string;
  currency: string;
  password_hash: string;
  failed_logins: number;
  locked_until: Date | null;
  totp_secret_enc: string | null;
  totp_pending_secret_enc: string | null;
  totp_enabled_at: Date | null;
  totp_last_step: string | null;
  created_at: Date;
  updated_at: Date;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  tenantId: r.tenant_id,
  role: r.role,
  status: r.status,
  email: r.email,
  name: r.name,
  language: r.language,
  currency: r.currency,
  twoFactorEnabled: r.totp_enabled_at !== null,
  createdAt: new Date(r.created_at).toISOString(),
  updatedAt: new Date(r.updated_at).toISOString(),
});

const toCredentials = (r: UserRow): UserCredentials => ({
  ...toUser(r),
  passwordHash: r.password_hash,
  failedLogins: r.failed_logins,
  lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
  totpSecretEnc: r.totp_secret_enc,
  totpPendingSecretEnc: r.totp_pending_secret_enc,
  totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step),
});

/** The tenant filter on top of RLS: both walls must agree. */
const tenantFilter = (scope: TenantScope) => tenantIs(scope);

export interface NewUser {
  id: string;
  tenantId: string;
  role: Role;
  email: string;
  name: string;
  language: string;
  currency: string;
  passwordHash: string;
}

export async function insertUser(tx: Tx, scope: TenantScope, user: NewUser): Promise<User> {
  if (scope.kind === 'tenant' && scope.tenantId !== user.tenantId) throw new Error('tenant mismatch');
  const [row] = await rows<UserRow>(
    tx,
    sql`insert into users (id, tenant_id, role, email, name, language, currency, password_hash)
        values (${user.id}, ${user.tenantId}, ${user.role}, ${user.email}, ${user.name}, ${user.language},
                ${user.currency}, ${user.passwordHash})
        returning *`,
  );
  return toUser(row!);
}

export async function findUser(tx: Tx, scope: TenantScope, id: string): Promise<User | undefined> {
  const [row] = await rows<UserRow>(
    tx,
    sql`select * from users where id = ${id} and ${tenantFilter(scope)} and deleted_at is null`,
  );
  return row && toUser(row);
}

export async function findCredentialsById(
  tx: Tx,
  scope: TenantScope,
  id: string,
  forUpdate = false,
): Promise<UserCredentials | undefined> {
  const [row] = await rows<UserRow>(
    tx,
    sql`select * from users where id = ${id} and ${tenantFilter(scope)} and deleted_at is null
        ${forUpdate ? sql`for update` : sql``}`,
  );
  return row && toCredentials(row);
}

export async function findCredentialsByEmail(
  tx: Tx,
  scope: SingleTenantScope,
  email: string,
  forUpdate = false,
): Promise<UserCredentials | undefined> {
  const [row] = await rows<UserRow>(
    tx,
    sql`select * from users where tenant_id = ${scope.tenantId} and lower(email) = lower(${email})
        and deleted_at is null ${forUpdate ? sql`for update` : sql``}`,
  );
  return row && toCredentials(row);
}

export async function listUsers(
  tx: Tx,
  scope: TenantScope,
  filter: { role: Role; after?: string; limit: number; status?: UserStatus },
): Promise<User[]> {
  const list = await rows<UserRow>(
    tx,
    sql`select * from users
        where ${tenantFilter(scope)} and role = ${filter.role} and deleted_at is null
          ${filter.status ? sql`and status = ${filter.status}` : sql``}
          ${filter.after ? sql`and id > ${filter.after}` : sql``}
        order by id limit ${filter.limit}`,
  );
  return list.map(toUser);
}

export interface ProfilePatch {
  name?: string;
  email?: string;
  language?: string;
  currency?: string;
}

export async function updateProfile(
  tx: Tx,
  scope: TenantScope,
  id: string,
  patch: ProfilePatch,
): Promise<User | undefined> {
  const [row] = await rows<UserRow>(
    tx,
    sql`update users set
          name = coalesce(${patch.name ?? null}, name),
          email = coalesce(${patch.email ?? null}, email),
          language = coalesce(${patch.language ?? null}, language),
          currency = coalesce(${patch.currency ?? null}, currency),
          updated_at = now()
        where id = ${id} and ${tenantFilter(scope)} and deleted_at is null
        returning *`,
  );
  return row && toUser(row);
}

export async function setStatus(
  tx: Tx,
  scope: TenantScope,
  id: string,
  status: UserStatus,
): Promise<{ user: User; from: UserStatus } | undefined> {
  const [row] = await rows<UserRow & { previous: UserStatus }>(
    tx,
    sql`update users u set status = ${status}, updated_at = now()
        from (select id, status as previous from users where id = ${id} for update) p
        where u.id = p.id and ${tenantFilter(scope)} and u.deleted_at is null
        returning u.*, p.previous`,
  );
  return row && { user: toUser(row), from: row.previous };
}

export async function setPasswordHash(tx: Tx, scope: TenantScope, id: string, hash: string): Promise<void> {
  await tx.execute(
    sql`update users set password_hash = ${hash}, password_changed_at = now(), failed_logins = 0,
          locked_until = null, updated_at = now()
        where id = ${id} and ${tenantFilter(scope)}`,
  );
}

/** Counts a failed login atomically; locks the account when the threshold is reached. */
export async function recordFailedLogin(
  tx: Tx,
  scope: TenantScope,
  id: string,
  threshold: number,
  lockSeconds: number,
): Promise<{ failedLogins: number; lockedUntil: Date | null }> {
  const [row] = await rows<{ failed_logins: number; locked_until: Date | null }>(
    tx,
    sql`update users set
          failed_logins = failed_logins + 1,
          locked_until = case when failed_logins + 1 >= ${threshold}
                              then now() + make_interval(secs => ${lockSeconds}) else locked_until end
        where id = ${id} and ${tenantFilter(scope)}
        returning failed_logins, locked_until`,
  );
  return { failedLogins: row?.failed_logins ?? 0, lockedUntil: row?.locked_until ?? null };
}

export async function clearFailedLogins(tx: Tx, scope: TenantScope, id: string): Promise<void> {
  await tx.execute(
    sql`update users set failed_logins = 0, locked_until = null where id = ${id} and ${tenantFilter(scope)}`,
  );
}

export async function userIdsOfTenant(tx: Tx, scope: SingleTenantScope, role: Role): Promise<string[]> {
  const list = await rows<{ id: string }>(
    tx,
    sql`select id from users where tenant_id = ${scope.tenantId} and role = ${role} and deleted_at is null`,
  );
  return list.map((r) => r.id);
}

export interface TotpState {
  pendingSecretEnc?: string | null;
  secretEnc?: string | null;
  enabled?: boolean;
  lastStep?: number | null;
}

export async function setTotp(tx: Tx, scope: TenantScope, id: string, state: TotpState): Promise<void> {
  await tx.execute(
    sql`update users set
          totp_pending_secret_enc = ${state.pendingSecretEnc === undefined ? sql`totp_pending_secret_enc` : state.pendingSecretEnc},
          totp_secret_enc = ${state.secretEnc === undefined ? sql`totp_secret_enc` : state.secretEnc},
          totp_enabled_at = ${state.enabled === undefined ? sql`totp_enabled_at` : state.enabled ? sql`now()` : null},
          totp_last_step = ${state.lastStep === undefined ? sql`totp_last_step` : state.lastStep},
          updated_at = now()
        where id = ${id} and ${tenantFilter(scope)}`,
  );
}

/** Records a TOTP step as used; false when it (or a later one) was already used: no replay. */
export async function claimTotpStep(tx: Tx, scope: TenantScope, id: string, step: number): Promise<boolean> {
  const claimed = await rows<{ id: string }>(
    tx,
    sql`update users set totp_last_step = ${step}
        where id = ${id} and ${tenantFilter(scope)} and (totp_last_step is null or totp_last_step < ${step})
        returning id`,
  );
  return claimed.length === 1;
}

/**
 * What a login needs before it hashes, in one statement: the account of this e-mail (if any) and the
 * throttle of the (e-mail, source) key — the seconds it must still wait, and whether it has failures on
 * record (so a success clears them only when there is something to clear).
 */
export async function findSignInState(
  tx: Tx,
  scope: SingleTenantScope,
  email: string,
  throttleKey: string,
): Promise<{
  credentials: UserCredentials | undefined;
  wait: number;
  hasFailures: boolean;
  resellerStatus: 'active' | 'suspended' | undefined;
}> {
  const [row] = await rows<
    Partial<UserRow> & {
      throttle_wait: number | null;
      throttle_failures: number | null;
      reseller_status: 'active' | 'suspended' | null;
    }
  >(
    tx,
    sql`select u.*, t.failures as throttle_failures,
               greatest(0, ceil(extract(epoch from (t.blocked_until - now()))))::int as throttle_wait,
               r.status as reseller_status
          from (select 1) as one
          left join resellers r on r.id = ${scope.tenantId} and r.tenant_id = ${scope.tenantId}
          left join users u
            on u.tenant_id = ${scope.tenantId} and lower(u.email) = lower(${email}) and u.deleted_at is null
          left join login_throttle t on t.tenant_id = ${scope.tenantId} and t.key_hash = ${throttleKey}`,
  );
  return {
    credentials: row?.id ? toCredentials(row as UserRow) : undefined,
    wait: row?.throttle_wait ?? 0,
    hasFailures: row?.throttle_failures != null,
    resellerStatus: row?.reseller_status ?? undefined,
  };
}
