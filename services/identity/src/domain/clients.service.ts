import { ClientCreated, UserSignupExisting, UserStatusChanged } from '@geminis/contracts';
import {
  allTenants,
  ConflictError,
  NotFoundError,
  newId,
  tenantScope,
  ValidationError,
  type Database,
  type Outbox,
  type SingleTenantScope,
  type Tx,
} from '@geminis/service-kit';
import { insertAudit } from '../store/audit.store';
import { uniqueViolation } from '../store/errors';
import { claimSignupNotice } from '../store/signup-notices.store';
import { revokeAllForUser } from '../store/tokens.store';
import {
  findCredentialsByEmail,
  findUser,
  insertUser,
  listUsers,
  setStatus,
  updateProfile,
  type ProfilePatch,
} from '../store/users.store';
import { type NewClientInput } from './accounts';
import { PLATFORM_TENANT_ID, type Actor, type TenantRef } from './context';
import { checkPasswordPolicy, type PasswordHasher } from './passwords';
import { scopeOf } from './scope';
import { type TenantsService } from './tenants.service';
import { type Page, type User, type UserStatus } from './types';

const clientNotFound = () => new NotFoundError('identity.client_not_found', 'client not found');
export const duplicateEmail = () =>
  new ConflictError('identity.email_taken', 'an account with this email already exists', {
    fieldErrors: [{ field: 'email', message: 'already registered' }],
  });

export interface ClientsDeps {
  db: Database;
  outbox: Outbox;
  hasher: PasswordHasher;
  tenants: TenantsService;
  /** At most one sign-up notice per account within this many seconds. Default 3600. */
  signupNoticeWindowSec?: number;
}

export function createClientsService(deps: ClientsDeps) {
  const { db, outbox, hasher } = deps;
  const signupNoticeWindowSec = deps.signupNoticeWindowSec ?? 3600;

  /** Writes a new client, its event and its audit entry inside the caller's transaction. */
  async function writeClient(
    tx: Tx,
    tenantId: string,
    input: Omit<NewClientInput, 'tenantId'>,
    passwordHash: string,
    via: 'admin' | 'reseller' | 'signup',
    actor?: Actor,
    ip?: string,
  ): Promise<User> {
    const scope = tenantScope(tenantId);
    const user = await insertUser(tx, scope, {
      id: newId(),
      tenantId,
      role: 'client',
      email: input.email,
      name: input.name,
      language: input.language,
      currency: input.currency,
      passwordHash,
    });
    await outbox.enqueue(tx, {
      type: ClientCreated.type,
      tenantId,
      data: {
        clientId: user.id,
        email: user.email,
        name: user.name,
        language: user.language,
        currency: user.currency,
        ...(actor ? { createdBy: actor.auth.userId } : {}),
        via,
      },
    });
    await insertAudit(tx, {
      tenantId,
      type: 'user.created',
      actorId: actor?.auth.userId,
      subjectId: user.id,
      ip: actor?.ip ?? ip,
      data: { role: 'client', via },
    });
    return user;
  }

  /**
   * Someone signed up with the e-mail of this account: its owner is told by mail (the caller is not), at
   * most once per window per account so sign-up cannot mail-bomb an address. Same transaction style as
   * the sign-up it replaces: the event goes through the outbox.
   */
  async function noticeExisting(tx: Tx, scope: SingleTenantScope, user: User, ip?: string): Promise<void> {
    const notified = await claimSignupNotice(tx, scope, user.id, signupNoticeWindowSec);
    if (notified) {
      await outbox.enqueue(tx, {
        type: UserSignupExisting.type,
        tenantId: user.tenantId,
        data: {
          tenantId: user.tenantId,
          userId: user.id,
          email: user.email,
          locale: user.language,
          occurredAt: new Date().toISOString(),
        },
      });
    }
    await insertAudit(tx, {
      tenantId: user.tenantId,
      type: 'signup.existing_email',
      subjectId: user.id,
      ip,
      data: { notified },
    });
  }

  /** Inserts a client and announces it, in one transaction; a duplicate email in the tenant is a 409. */
  async function insertClient(
    tenantId: string,
    input: Omit<NewClientInput, 'tenantId'>,
    via: 'admin' | 'reseller' | 'signup',
    actor?: Actor,
  ): Promise<User> {
    checkPasswordPolicy(input.password, input.email);
    const passwordHash = await hasher.hash(input.password);
    const scope = tenantScope(tenantId);
    try {
      return await db.withTenant(scope, (tx) => writeClient(tx, tenantId, input, passwordHash, via, actor));
    } catch (err) {
      if (uniqueViolation(err)) throw duplicateEmail();
      throw err;
    }
  }

  async function changeStatus(actor: Actor, id: string, to: UserStatus): Promise<User> {
    const { scope, audit } = scopeOf(actor);
    return db.withTenant(scope, async (tx: Tx) => {
      const current = await findUser(tx, scope, id);
      if (!current || current.role !== 'client') throw clientNotFound();
      const changed = await setStatus(tx, scope, id, to);
      if (!changed) throw clientNotFound();
      await audit(tx);
      if (changed.from !== to) {
        if (to !== 'active') await revokeAllForUser(tx, scope, id);
        await outbox.enqueue(tx, {
          type: UserStatusChanged.type,
          tenantId: current.tenantId,
          data: { userId: id, role: 'client', from: changed.from, to, changedBy: actor.auth.userId },
        });
        await insertAudit(tx, {
          tenantId: current.tenantId,
          type: 'user.status_changed',
          actorId: actor.auth.userId,
          subjectId: id,
          ip: actor.ip,
          data: { from: changed.from, to },
        });
      }
      return changed.user;
    });
  }

  return {
    insertClient,

    /** A reseller creates clients in its own tenant; an admin anywhere (default the platform). */
    async create(actor: Actor, input: NewClientInput): Promise<User> {
      let tenantId: string;
      if (actor.auth.role === 'admin') {
        tenantId = input.tenantId ?? PLATFORM_TENANT_ID;
        if (tenantId !== PLATFORM_TENANT_ID && !(await deps.tenants.reseller(tenantId))) {
          throw new ValidationError('identity.unknown_tenant', 'tenantId: no such reseller', {
            fieldErrors: [{ field: 'tenantId', message: 'no such reseller' }],
          });
        }
      } else {
        if (input.tenantId !== undefined) {
          throw new ValidationError('request.invalid', 'tenantId: not assignable', {
            fieldErrors: [{ field: 'tenantId', message: 'only platform admins choose the tenant' }],
          });
        }
        tenantId = actor.auth.tenantId;
      }
      const { tenantId: _ignored, ...rest } = input;
      return insertClient(tenantId, rest, actor.auth.role === 'admin' ? 'admin' : 'reseller', actor);
    },

    /**
     * Self sign-up. The caller learns nothing about whether the e-mail already had an account: a new one
     * is created, a known one is left as it is and its owner is told by mail
     * (`identity.user.signup_existing.v1`, throttled), and both answer the same (the route's 202). The
     * password is hashed in both cases, and both take one transaction of the same shape.
     * Returns the new user, or undefined when the e-mail was taken.
     */
    async signup(
      tenant: TenantRef,
      input: Omit<NewClientInput, 'tenantId'>,
      ip?: string,
    ): Promise<User | undefined> {
      if (tenant.reseller?.status === 'suspended') {
        throw new NotFoundError('identity.tenant_not_found', 'no storefront with that name');
      }
      checkPasswordPolicy(input.password, input.email);
      const passwordHash = await hasher.hash(input.password);
      const scope = tenantScope(tenant.tenantId);
      try {
        return await db.withTenant(scope, async (tx) => {
          const known = await findCredentialsByEmail(tx, scope, input.email);
          if (known) {
            await noticeExisting(tx, scope, known, ip);
            return undefined;
          }
          return writeClient(tx, tenant.tenantId, input, passwordHash, 'signup', undefined, ip);
        });
      } catch (err) {
        // Two sign-ups with one new e-mail at once: the other one created it.
        if (uniqueViolation(err)) return undefined;
        throw err;
      }
    },

    async list(
      actor: Actor,
      page: { limit: number; after?: string; tenantId?: string },
    ): Promise<Page<User>> {
      const { scope, audit } = scopeOf(actor, page.tenantId);
      const items = await db.withTenant(scope, async (tx) => {
        await audit(tx);
        return listUsers(tx, scope, {
          role: 'client',
          limit: page.limit + 1,
          ...(page.after ? { after: page.after } : {}),
        });
      });
      const more = items.length > page.limit;
      const shown = items.slice(0, page.limit);
      return { items: shown, ...(more ? { next: shown[shown.length - 1]!.id } : {}) };
    },

    async get(actor: Actor, id: string): Promise<User> {
      const { scope } = scopeOf(actor);
      const user = await db.withTenant(scope, (tx) => findUser(tx, scope, id));
      if (!user || user.role !== 'client') throw clientNotFound();
      return user;
    },

    /** Whose client an id is, for our own services (the service-key lookup): any tenant's, clients only. */
    async lookup(id: string): Promise<User | undefined> {
      const user = await db.withTenant(allTenants, (tx) => findUser(tx, allTenants, id));
      return user?.role === 'client' ? user : undefined;
    },

    async update(actor: Actor, id: string, patch: ProfilePatch): Promise<User> {
      const { scope } = scopeOf(actor);
      try {
        return await db.withTenant(scope, async (tx) => {
          const current = await findUser(tx, scope, id);
          if (!current || current.role !== 'client') throw clientNotFound();
          const user = await updateProfile(tx, scope, id, patch);
          if (!user) throw clientNotFound();
          return user;
        });
      } catch (err) {
        if (uniqueViolation(err)) throw duplicateEmail();
        throw err;
      }
    },

    suspend: (actor: Actor, id: string) => changeStatus(actor, id, 'suspended'),
    activate: (actor: Actor, id: string) => changeStatus(actor, id, 'active'),
  };
}

export type ClientsService = ReturnType<typeof createClientsService>;
