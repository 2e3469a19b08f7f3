import {
  ForbiddenError,
  newId,
  tenantScope,
  UnauthenticatedError,
  type Database,
  type Tx,
} from '@geminis/service-kit';
import { auditInsert, insertAudit, type AuditEntry } from '../store/audit.store';
import {
  consumeRefreshToken,
  findRefreshToken,
  insertOneTimeToken,
  insertRefreshToken,
  revokeFamily,
} from '../store/tokens.store';
import { findCredentialsById, findSignInState, setPasswordHash } from '../store/users.store';
import { type AuditService } from './audit.service';
import { type TenantRef } from './context';
import { newTenantToken, parseTenantToken } from './crypto';
import { type KeysService } from './keys.service';
import { type PasswordHasher } from './passwords';
import { type TenantsService } from './tenants.service';
import { loginKey, tooManyAttempts, type Throttle } from './throttle';
import { type User, type UserCredentials } from './types';

export interface Session {
  status: 'ok';
  tokenType: 'Bearer';
  accessToken: string;
  expiresIn: number;
  refreshToken: string;
  user: User;
}

export interface MfaChallenge {
  /** `mfa_required`: send a TOTP or recovery code; `mfa_enrolment_required`: 2FA is mandatory, enrol first. */
  status: 'mfa_required' | 'mfa_enrolment_required';
  mfaToken: string;
  expiresIn: number;
}

export interface AuthSettings {
  accessTokenTtlSec: number;
  refreshTokenTtlSec: number;
  lockoutThreshold: number;
  lockoutSec: number;
}

export const MFA_CHALLENGE_TTL_SEC = 300;

const invalidCredentials = () =>
  new UnauthenticatedError('identity.invalid_credentials', 'email or password is incorrect');
const invalidRefresh = () =>
  new UnauthenticatedError('identity.invalid_refresh_token', 'the refresh token is invalid or expired');

/** The public profile only: a `UserCredentials` is a `User` to the type checker, so this copies field by field. */
const strip = (u: User | UserCredentials): User => ({
  id: u.id,
  tenantId: u.tenantId,
  role: u.role,
  status: u.status,
  email: u.email,
  name: u.name,
  language: u.language,
  currency: u.currency,
  twoFactorEnabled: u.twoFactorEnabled,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

export function createAuthService(deps: {
  db: Database;
  hasher: PasswordHasher;
  keys: KeysService;
  tenants: TenantsService;
  audit: AuditService;
  settings: AuthSettings;
  throttle: Throttle;
  /** Whether policy makes 2FA mandatory for this user (platform for admins, reseller for its clients). */
  twoFactorRequired(user: User): Promise<boolean>;
}) {
  const { db, hasher, keys, settings } = deps;

  /** Checks that nothing forbids this user from holding a session right now. */
  async function assertMaySignIn(user: User, tenant?: TenantRef): Promise<void> {
    if (user.status !== 'active')
      throw new ForbiddenError('identity.account_inactive', `this account is ${user.status}`);
    const ref = tenant ?? (await deps.tenants.ref(user.tenantId));
    if (ref.reseller?.status === 'suspended')
      throw new ForbiddenError('identity.tenant_suspended', 'this storefront is suspended');
  }

  /** Stores the refresh token of a new session (or of a family's next rotation) in the caller's transaction. */
  async function storeRefreshToken(
    tx: Tx,
    user: User,
    familyId: string,
    along?: AuditEntry,
  ): Promise<string> {
    const scope = tenantScope(user.tenantId);
    const refresh = newTenantToken(user.tenantId);
    await insertRefreshToken(
      tx,
      scope,
      { id: newId(), userId: user.id, familyId, hash: refresh.hash, ttlSec: settings.refreshTokenTtlSec },
      along && auditInsert(along),
    );
    return refresh.token;
  }

  /** The answer of a session whose refresh token is stored: the access token is signed after the commit. */
  async function sessionOf(user: User, familyId: string, refreshToken: string): Promise<Session> {
    const access = await keys.signAccessToken(user, familyId);
    return {
      status: 'ok',
      tokenType: 'Bearer',
      accessToken: access.accessToken,
      expiresIn: access.expiresIn,
      refreshToken,
      user: strip(user),
    };
  }

  /**
   * A new session: an access token and a refresh token opening a new family (or continuing one). The
   * answer carries the public profile whatever it was given (the 2FA steps hold the user's credentials).
   */
  async function issue(user: User, familyId = newId()): Promise<Session> {
    const scope = tenantScope(user.tenantId);
    const refreshToken = await db.withTenant(scope, (tx) => storeRefreshToken(tx, user, familyId));
    return sessionOf(user, familyId, refreshToken);
  }

  /** Stores a 2FA challenge (the one-time token the next step presents) in the caller's transaction. */
  async function storeChallenge(tx: Tx, user: User, status: MfaChallenge['status']): Promise<MfaChallenge> {
    const scope = tenantScope(user.tenantId);
    const t = newTenantToken(user.tenantId);
    await insertOneTimeToken(tx, scope, {
      id: newId(),
      userId: user.id,
      purpose: 'login_2fa',
      hash: t.hash,
      ttlSec: MFA_CHALLENGE_TTL_SEC,
    });
    return { status, mfaToken: t.token, expiresIn: MFA_CHALLENGE_TTL_SEC };
  }

  return {
    issue,
    assertMaySignIn,

    /**
     * Two transactions around the hash, whatever the outcome: before it, one statement reads the account
     * and the throttle of the (e-mail, source) key; after it, one transaction writes everything the outcome
     * needs — on a success the throttle's failures (only when there are any), a rehash, the audit entry and
     * the refresh token or 2FA challenge; on a failure the throttle's count and the audit entry. The
     * access token is signed after the commit. (It used to take six transactions.)
     */
    async login(input: {
      tenant: TenantRef;
      email: string;
      password: string;
      ip?: string | undefined;
    }): Promise<Session | MfaChallenge> {
      const { tenant, email, ip } = input;
      const scope = tenantScope(tenant.tenantId);
      // Per (e-mail, source): a stranger's failures throttle the stranger, not the account's owner.
      const key = loginKey(email, ip);
      const state = await db.readWithTenant(scope, (tx) => findSignInState(tx, scope, email, key));
      if (state.wait > 0) throw tooManyAttempts(state.wait);
      const found = state.credentials;
      // Unknown e-mails: the same work (a dummy hash) and the same answers as for a real account.
      const ok = await hasher.verify(found?.passwordHash, input.password);
      if (!found || !ok) {
        const wait = await db.withTenant(scope, async (tx) => {
          const seconds = await deps.throttle.failIn(tx, scope, key);
          await insertAudit(tx, {
            tenantId: tenant.tenantId,
            type: seconds > 0 ? 'login.locked' : 'login.failed',
            ...(found ? { subjectId: found.id } : {}),
            ip,
            data: found ? {} : { reason: 'unknown_email' },
          });
          return seconds;
        });
        if (wait > 0) throw tooManyAttempts(wait);
        throw invalidCredentials();
      }

      const user = strip(found);
      // The storefront's status as of this sign-in (the tenant was looked up through a short cache).
      const current: TenantRef = tenant.reseller
        ? {
            ...tenant,
            reseller: { ...tenant.reseller, status: state.resellerStatus ?? tenant.reseller.status },
          }
        : tenant;
      try {
        await assertMaySignIn(user, current);
      } catch (err) {
        // The password was right: the source's failures are forgotten, as before the status check.
        if (state.hasFailures) await db.withTenant(scope, (tx) => deps.throttle.succeedIn(tx, scope, key));
        throw err;
      }
      const rehash = hasher.needsRehash(found.passwordHash) ? await hasher.hash(input.password) : undefined;
      const enrolmentRequired = !user.twoFactorEnabled && (await deps.twoFactorRequired(user));
      const familyId = newId();
      const outcome = await db.withTenant(scope, async (tx) => {
        if (state.hasFailures) await deps.throttle.succeedIn(tx, scope, key);
        if (rehash) await setPasswordHash(tx, scope, user.id, rehash);
        if (user.twoFactorEnabled) return storeChallenge(tx, user, 'mfa_required');
        const audit: AuditEntry = {
          tenantId: user.tenantId,
          type: 'login.succeeded',
          subjectId: user.id,
          ip,
        };
        if (enrolmentRequired) {
          await insertAudit(tx, audit);
          return storeChallenge(tx, user, 'mfa_enrolment_required');
        }
        // The audit entry rides in the refresh token's statement: one round trip for both.
        return { refreshToken: await storeRefreshToken(tx, user, familyId, audit) };
      });
      if ('mfaToken' in outcome) return outcome;
      return sessionOf(user, familyId, outcome.refreshToken);
    },

    /**
     * Rotation: the presented token is consumed atomically (at most one concurrent caller wins); presenting
     * a token that was already rotated or revoked revokes its whole family (RFC 9700 §4.14.2).
     */
    async refresh(token: string, ip?: string): Promise<Session> {
      const parsed = parseTenantToken(token);
      if (!parsed) throw invalidRefresh();
      const scope = tenantScope(parsed.tenantId);
      const outcome = await db.withTenant(scope, async (tx) => {
        const consumed = await consumeRefreshToken(tx, scope, parsed.hash);
        if (consumed) return { kind: 'ok' as const, row: consumed };
        const known = await findRefreshToken(tx, scope, parsed.hash);
        if (known && (known.used_at !== null || known.revoked_at !== null)) {
          const revoked = await revokeFamily(tx, scope, known.family_id);
          await insertAudit(tx, {
            tenantId: parsed.tenantId,
            type: 'token.reuse_detected',
            subjectId: known.user_id,
            ip,
            data: { familyId: known.family_id, revoked },
          });
        }
        return { kind: 'invalid' as const };
      });
      if (outcome.kind === 'invalid') throw invalidRefresh();
      const found = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, outcome.row.user_id));
      if (!found) throw invalidRefresh();
      const user = strip(found);
      await assertMaySignIn(user);
      return issue(user, outcome.row.family_id);
    },

    /** Revokes the session (the refresh token's family). Unknown tokens are ignored: logout is idempotent. */
    async logout(token: string, ip?: string): Promise<void> {
      const parsed = parseTenantToken(token);
      if (!parsed) return;
      const scope = tenantScope(parsed.tenantId);
      await db.withTenant(scope, async (tx) => {
        const known = await findRefreshToken(tx, scope, parsed.hash);
        if (!known) return;
        await revokeFamily(tx, scope, known.family_id);
        await insertAudit(tx, { tenantId: parsed.tenantId, type: 'logout', subjectId: known.user_id, ip });
      });
    },
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
