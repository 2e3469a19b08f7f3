import { PasswordResetRequested } from '@geminis/contracts';
import {
  newId,
  tenantScope,
  UnauthenticatedError,
  ValidationError,
  type Database,
  type Outbox,
} from '@geminis/service-kit';
import { insertAudit } from '../store/audit.store';
import {
  consumeOneTimeToken,
  insertOneTimeToken,
  invalidateOneTimeTokens,
  revokeAllForUser,
  sealedResetToken,
} from '../store/tokens.store';
import { findCredentialsByEmail, findCredentialsById, setPasswordHash } from '../store/users.store';
import { type Actor, type TenantRef } from './context';
import { newTenantToken, parseTenantToken, type Cipher } from './crypto';
import { checkPasswordPolicy, type PasswordHasher } from './passwords';

const scopeOf = (tenantId: string) => tenantScope(tenantId);

export function createPasswordService(deps: {
  db: Database;
  outbox: Outbox;
  hasher: PasswordHasher;
  cipher: Cipher;
  resetTokenTtlSec: number;
}) {
  const { db, hasher } = deps;
  const invalidReset = () =>
    new ValidationError('identity.invalid_reset_token', 'the reset token is invalid, used or expired', {
      fieldErrors: [{ field: 'token', message: 'invalid, used or expired' }],
    });

  return {
    /** Changes the caller's password; every refresh token of the user is revoked (sign in again). */
    async change(actor: Actor, currentPassword: string, newPassword: string): Promise<void> {
      const scope = scopeOf(actor.auth.tenantId);
      const user = await db.withTenant(scope, (tx) => findCredentialsById(tx, scope, actor.auth.userId));
      if (!user) throw new UnauthenticatedError('identity.unknown_user', 'the account no longer exists');
      if (!(await hasher.verify(user.passwordHash, currentPassword))) {
        throw new ValidationError('identity.wrong_password', 'currentPassword is incorrect', {
          fieldErrors: [{ field: 'currentPassword', message: 'incorrect' }],
        });
      }
      checkPasswordPolicy(newPassword, user.email, 'newPassword');
      const hash = await hasher.hash(newPassword);
      await db.withTenant(scope, async (tx) => {
        await setPasswordHash(tx, scope, user.id, hash);
        await revokeAllForUser(tx, scope, user.id);
        // A reset link asked for before the change would undo it.
        await invalidateOneTimeTokens(tx, scope, user.id, 'password_reset');
        await insertAudit(tx, {
          tenantId: user.tenantId,
          type: 'password.changed',
          actorId: user.id,
          subjectId: user.id,
          ip: actor.ip,
        });
      });
    },

    /**
     * Starts a reset. The answer is the same whether or not the email exists. The one-time token is
     * stored hashed (and sealed for the notifications side); the event carries only its id.
     */
    async requestReset(tenant: TenantRef, email: string, ip?: string): Promise<void> {
      const scope = scopeOf(tenant.tenantId);
      await db.withTenant(scope, async (tx) => {
        // The user's row is locked first: two requests at once take turns, so the second one sees (and
        // voids) the first one's token instead of both leaving a live link behind.
        const user = await findCredentialsByEmail(tx, scope, email, true);
        if (!user || user.status !== 'active') return;
        await invalidateOneTimeTokens(tx, scope, user.id, 'password_reset');
        const t = newTenantToken(tenant.tenantId);
        const resetId = newId();
        const expiresAt = await insertOneTimeToken(tx, scope, {
          id: resetId,
          userId: user.id,
          purpose: 'password_reset',
          hash: t.hash,
          tokenEnc: deps.cipher.encrypt('reset-tokens', t.token),
          ttlSec: deps.resetTokenTtlSec,
        });
        await deps.outbox.enqueue(tx, {
          type: PasswordResetRequested.type,
          tenantId: tenant.tenantId,
          data: { userId: user.id, email: user.email, resetId, expiresAt: expiresAt.toISOString() },
        });
        await insertAudit(tx, {
          tenantId: tenant.tenantId,
          type: 'password.reset_requested',
          subjectId: user.id,
          ip,
          data: { resetId },
        });
      });
    },

    /** The token of a live reset, for whoever sends the email (the service-key internal route). */
    async resetTokenFor(tenantId: string, resetId: string): Promise<string | undefined> {
      const scope = scopeOf(tenantId);
      const sealed = await db.withTenant(scope, (tx) => sealedResetToken(tx, scope, resetId));
      return sealed && deps.cipher.decrypt('reset-tokens', sealed);
    },

    /** Completes a reset: the token works once, before it expires; all sessions and lockouts are cleared. */
    async reset(token: string, newPassword: string, ip?: string): Promise<void> {
      const parsed = parseTenantToken(token);
      if (!parsed) throw invalidReset();
      const scope = scopeOf(parsed.tenantId);
      checkPasswordPolicy(newPassword, undefined, 'newPassword');
      const hash = await hasher.hash(newPassword);
      await db.withTenant(scope, async (tx) => {
        const used = await consumeOneTimeToken(tx, scope, 'password_reset', parsed.hash);
        if (!used) throw invalidReset();
        // Every other link of this user dies with it: one reset per request, whichever link is used.
        await invalidateOneTimeTokens(tx, scope, used.userId, 'password_reset');
        await setPasswordHash(tx, scope, used.userId, hash);
        await revokeAllForUser(tx, scope, used.userId);
        await insertAudit(tx, {
          tenantId: parsed.tenantId,
          type: 'password.reset_completed',
          subjectId: used.userId,
          ip,
        });
      });
    },
  };
}

export type PasswordService = ReturnType<typeof createPasswordService>;
