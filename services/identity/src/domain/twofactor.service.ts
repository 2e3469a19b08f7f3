import {
  allTenants,
  BusinessRuleError,
  NotFoundError,
  tenantScope,
  UnauthenticatedError,
  ValidationError,
  type Database,
  type SingleTenantScope,
} from '@geminis/service-kit';
import { authenticator } from 'otplib';
import { insertAudit } from '../store/audit.store';
import { replaceRecoveryCodes, useRecoveryCode } from '../store/recovery-codes.store';
import { markOneTimeTokenUsed, revokeAllForUser, touchOneTimeToken } from '../store/tokens.store';
import { claimTotpStep, findCredentialsById, findUser, setTotp } from '../store/users.store';
import { type AuthService, type Session } from './auth.service';
import { type Actor } from './context';
import { parseTenantToken, randomToken, sha256, type Cipher } from './crypto';
import { type PasswordHasher } from './passwords';
import { loginKey, secondFactorKey, tooManyAttempts, type Throttle } from './throttle';
import { type UserCredentials } from './types';

type Scope = SingleTenantScope;
const STEP_SEC = 30;
const CHALLENGE_ATTEMPTS = 5;
const RECOVERY_CODES = 10;

authenticator.options = { step: STEP_SEC, window: 1, digits: 6 };

const recoveryCode = () => {
  const raw = randomToken(8)
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 10)
    .toLowerCase();
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
};
const normaliseCode = (code: string) => code.trim().toLowerCase().replace(/\s/g, '');

const badCode = () =>
  new ValidationError('identity.invalid_2fa_code', 'the code is incorrect', {
    fieldErrors: [{ field: 'code', message: 'incorrect' }],
  });

export function createTwoFactorService(deps: {
  db: Database;
  cipher: Cipher;
  issuer: string;
  auth: AuthService;
  throttle: Throttle;
  hasher: PasswordHasher;
}) {
  const { db, cipher } = deps;

  /**
   * Turning 2FA on or off asks for the password again: an access token alone (stolen, or a session left
   * open) cannot enrol an attacker's device or remove the owner's. Wrong passwords count like sign-ins.
   */
  async function assertPassword(scope: Scope, actor: Actor, password: string): Promise<void> {
    const user = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, actor.auth.userId));
    if (!user) throw new NotFoundError('identity.user_not_found', 'user not found');
    const key = loginKey(user.email, actor.ip);
    await deps.throttle.assertMayTry(scope, key);
    if (await deps.hasher.verify(user.passwordHash, password)) return;
    const wait = await deps.throttle.fail(scope, key);
    if (wait > 0) throw tooManyAttempts(wait);
    throw new ValidationError('identity.wrong_password', 'currentPassword is incorrect', {
      fieldErrors: [{ field: 'currentPassword', message: 'incorrect' }],
    });
  }

  /** Checks a TOTP code against a secret; each time step is accepted once (no replay). */
  async function checkTotp(
    scope: Scope,
    user: UserCredentials,
    secretEnc: string,
    code: string,
  ): Promise<boolean> {
    if (!/^\d{6}$/.test(code)) return false;
    const secret = cipher.decrypt('totp', secretEnc);
    const delta = authenticator.checkDelta(code, secret);
    if (delta === null) return false;
    const step = Math.floor(Date.now() / 1000 / STEP_SEC) + delta;
    return db.withTenant(scope, (tx) => claimTotpStep(tx, scope, user.id, step));
  }

  async function newRecoveryCodes(scope: Scope, userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode);
    await db.withTenant(scope, (tx) =>
      replaceRecoveryCodes(
        tx,
        scope,
        userId,
        codes.map((c) => sha256(normaliseCode(c))),
      ),
    );
    return codes;
  }

  async function enrol(scope: Scope, userId: string): Promise<{ secret: string; otpauthUri: string }> {
    const user = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, userId));
    if (!user) throw new NotFoundError('identity.user_not_found', 'user not found');
    if (user.twoFactorEnabled)
      throw new BusinessRuleError('identity.2fa_already_enabled', '2FA is already enabled');
    const secret = authenticator.generateSecret(20);
    await db.withTenant(scope, (tx) =>
      setTotp(tx, scope, userId, { pendingSecretEnc: cipher.encrypt('totp', secret) }),
    );
    return { secret, otpauthUri: authenticator.keyuri(user.email, deps.issuer, secret) };
  }

  /** Confirms a pending enrolment with a first code; returns the one-time recovery codes (shown once). */
  async function confirm(scope: Scope, userId: string, code: string, ip?: string): Promise<string[]> {
    const user = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, userId));
    if (!user?.totpPendingSecretEnc)
      throw new BusinessRuleError('identity.2fa_not_enrolling', 'start an enrolment first');
    const key = secondFactorKey(user.id);
    await deps.throttle.assertMayTry(scope, key);
    if (!(await checkTotp(scope, user, user.totpPendingSecretEnc, code))) {
      const wait = await deps.throttle.fail(scope, key);
      if (wait > 0) throw tooManyAttempts(wait);
      throw badCode();
    }
    await deps.throttle.succeed(scope, key);
    await db.withTenant(scope, async (tx) => {
      await setTotp(tx, scope, userId, {
        secretEnc: user.totpPendingSecretEnc,
        pendingSecretEnc: null,
        enabled: true,
      });
      await insertAudit(tx, {
        tenantId: user.tenantId,
        type: '2fa.enrolled',
        actorId: userId,
        subjectId: userId,
        ip,
      });
    });
    return newRecoveryCodes(scope, userId);
  }

  async function clear(scope: Scope, userId: string) {
    await db.withTenant(scope, async (tx) => {
      await setTotp(tx, scope, userId, {
        secretEnc: null,
        pendingSecretEnc: null,
        enabled: false,
        lastStep: null,
      });
      await replaceRecoveryCodes(tx, scope, userId, []);
    });
  }

  async function challengeOf(mfaToken: string) {
    const parsed = parseTenantToken(mfaToken);
    const invalid = () =>
      new UnauthenticatedError('identity.invalid_mfa_token', 'the sign-in step expired; sign in again');
    if (!parsed) throw invalid();
    const scope = tenantScope(parsed.tenantId);
    const ch = await db.withTenant(scope, (tx) =>
      touchOneTimeToken(tx, scope, 'login_2fa', parsed.hash, CHALLENGE_ATTEMPTS),
    );
    if (!ch) throw invalid();
    const user = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, ch.userId));
    if (!user) throw invalid();
    return { scope, challengeId: ch.id, user };
  }

  return {
    async enrolMe(actor: Actor, currentPassword: string) {
      const scope = tenantScope(actor.auth.tenantId);
      await assertPassword(scope, actor, currentPassword);
      return enrol(scope, actor.auth.userId);
    },
    confirmMe: (actor: Actor, code: string) =>
      confirm(tenantScope(actor.auth.tenantId), actor.auth.userId, code, actor.ip),

    /** Disabling needs a current code (or a recovery code): a stolen access token alone cannot do it. */
    async disableMe(actor: Actor, code: string, currentPassword: string): Promise<void> {
      const scope = tenantScope(actor.auth.tenantId);
      await assertPassword(scope, actor, currentPassword);
      const user = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, actor.auth.userId));
      if (!user?.totpSecretEnc) throw new BusinessRuleError('identity.2fa_not_enabled', '2FA is not enabled');
      const key = secondFactorKey(user.id);
      await deps.throttle.assertMayTry(scope, key);
      const ok =
        (await checkTotp(scope, user, user.totpSecretEnc, code)) ||
        (await db.withTenant(scope, (tx) =>
          useRecoveryCode(tx, scope, user.id, sha256(normaliseCode(code))),
        ));
      if (!ok) {
        const wait = await deps.throttle.fail(scope, key);
        if (wait > 0) throw tooManyAttempts(wait);
        throw badCode();
      }
      await deps.throttle.succeed(scope, key);
      await clear(scope, user.id);
      await deps.db.withTenant(scope, (tx) =>
        insertAudit(tx, {
          tenantId: user.tenantId,
          type: '2fa.disabled',
          actorId: user.id,
          subjectId: user.id,
          ip: actor.ip,
        }),
      );
    },

    /** Admin reset (lost device): 2FA off, sessions revoked; the user enrols again. */
    async adminReset(actor: Actor, userId: string): Promise<void> {
      const target = await db.withTenant(allTenants, (tx) => findUser(tx, allTenants, userId));
      if (!target) throw new NotFoundError('identity.user_not_found', 'user not found');
      const scope = tenantScope(target.tenantId);
      await clear(scope, userId);
      await db.withTenant(scope, async (tx) => {
        await revokeAllForUser(tx, scope, userId);
        await insertAudit(tx, {
          tenantId: target.tenantId,
          type: '2fa.reset_by_admin',
          actorId: actor.auth.userId,
          subjectId: userId,
          ip: actor.ip,
        });
      });
    },

    /** The second login step: a TOTP code or a recovery code against the challenge from the first step. */
    async completeLogin(mfaToken: string, code: string, ip?: string): Promise<Session> {
      const { scope, challengeId, user } = await challengeOf(mfaToken);
      // Counted per account across challenges: a fresh challenge does not buy fresh guesses.
      const key = secondFactorKey(user.id);
      await deps.throttle.assertMayTry(scope, key);
      const normalised = normaliseCode(code);
      let ok = false;
      let viaRecovery = false;
      if (user.totpSecretEnc) {
        ok = await checkTotp(scope, user, user.totpSecretEnc, normalised);
        if (!ok) {
          ok = await db.withTenant(scope, (tx) => useRecoveryCode(tx, scope, user.id, sha256(normalised)));
          viaRecovery = ok;
        }
      }
      await db.withTenant(scope, (tx) =>
        insertAudit(tx, {
          tenantId: user.tenantId,
          type: ok ? (viaRecovery ? '2fa.recovery_code_used' : 'login.succeeded') : 'login.2fa_failed',
          subjectId: user.id,
          ip,
        }),
      );
      if (!ok) {
        const wait = await deps.throttle.fail(scope, key);
        if (wait > 0) throw tooManyAttempts(wait);
        throw badCode();
      }
      await deps.throttle.succeed(scope, key);
      if (!(await db.withTenant(scope, (tx) => markOneTimeTokenUsed(tx, scope, challengeId))))
        throw badCode();
      await deps.auth.assertMaySignIn(user);
      return deps.auth.issue(user);
    },

    /** Mandatory 2FA: enrolment during sign-in, with the challenge of the first step. */
    async enrolAtLogin(mfaToken: string) {
      const { scope, user } = await challengeOf(mfaToken);
      return enrol(scope, user.id);
    },
    async confirmAtLogin(mfaToken: string, code: string, ip?: string) {
      const { scope, challengeId, user } = await challengeOf(mfaToken);
      const recoveryCodes = await confirm(scope, user.id, code, ip);
      await db.withTenant(scope, (tx) => markOneTimeTokenUsed(tx, scope, challengeId));
      await deps.auth.assertMaySignIn(user);
      return { ...(await deps.auth.issue(user)), recoveryCodes };
    },
  };
}

export type TwoFactorService = ReturnType<typeof createTwoFactorService>;
