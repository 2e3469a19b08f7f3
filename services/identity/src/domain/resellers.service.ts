import { ResellerCreated, ResellerSuspended, ResellerUpdated } from '@geminis/contracts';
import {
  ConflictError,
  NotFoundError,
  newId,
  tenantScope,
  type Database,
  type Outbox,
  type Tx,
} from '@geminis/service-kit';
import { insertAudit } from '../store/audit.store';
import { uniqueViolation } from '../store/errors';
import {
  findReseller,
  insertReseller,
  listResellers,
  replaceDomains,
  resellerContactEmail,
  setResellerStatus,
  updateReseller,
} from '../store/resellers.store';
import { revokeAllForTenant } from '../store/tokens.store';
import { insertUser } from '../store/users.store';
import { type NewResellerInput, type ResellerPatchInput } from './accounts';
import { duplicateEmail } from './clients.service';
import { type Actor } from './context';
import { checkPasswordPolicy, type PasswordHasher } from './passwords';
import { scopeOf } from './scope';
import { type Page, type Reseller, type ResellerStatus, type User } from './types';

const resellerNotFound = () => new NotFoundError('identity.reseller_not_found', 'reseller not found');

function conflictOf(err: unknown): Error {
  const constraint = uniqueViolation(err);
  if (!constraint) return err as Error;
  if (constraint.startsWith('reseller_domains'))
    return new ConflictError('identity.domain_taken', 'a custom domain is already in use', {
      fieldErrors: [{ field: 'customDomains', message: 'already in use' }],
    });
  if (constraint === 'resellers_slug')
    return new ConflictError('identity.slug_taken', 'this slug is already in use', {
      fieldErrors: [{ field: 'slug', message: 'already in use' }],
    });
  return duplicateEmail();
}

/** The reseller's profile as its events carry it; `contactEmail`: its owner's address (none: left out). */
const profileOf = (r: Reseller, contactEmail: string | undefined) => ({
  resellerId: r.id,
  slug: r.slug,
  brandName: r.brandName,
  customDomains: r.customDomains,
  allowCustomProducts: r.allowCustomProducts,
  status: r.status,
  ...(contactEmail ? { contactEmail } : {}),
});

export function createResellersService(deps: {
  db: Database;
  outbox: Outbox;
  hasher: PasswordHasher;
  /** Called after any change of a reseller (profile, domains, status): host and slug caches forget. */
  onChange?: () => void;
}) {
  const { db, outbox, hasher } = deps;
  /** Runs a change, then tells whoever caches resellers (also when it failed: nothing is lost by it). */
  const changing = async <T>(change: () => Promise<T>): Promise<T> => {
    try {
      return await change();
    } finally {
      deps.onChange?.();
    }
  };

  async function changeStatus(
    actor: Actor,
    id: string,
    to: ResellerStatus,
    reason?: string,
  ): Promise<Reseller> {
    const scope = tenantScope(id);
    return db.withTenant(scope, async (tx: Tx) => {
      const before = await findReseller(tx, scope, id);
      if (!before) throw resellerNotFound();
      if (before.status === to) return before;
      await setResellerStatus(tx, scope, id, to);
      const after = (await findReseller(tx, scope, id))!;
      if (to === 'suspended') {
        await revokeAllForTenant(tx, scope);
        await outbox.enqueue(tx, {
          type: ResellerSuspended.type,
          tenantId: id,
          data: { resellerId: id, ...(reason ? { reason } : {}) },
        });
      } else {
        const contactEmail = await resellerContactEmail(tx, scope, id);
        await outbox.enqueue(tx, {
          type: ResellerUpdated.type,
          tenantId: id,
          data: profileOf(after, contactEmail),
        });
      }
      await insertAudit(tx, {
        tenantId: id,
        type: 'reseller.status_changed',
        actorId: actor.auth.userId,
        subjectId: id,
        ip: actor.ip,
        data: { from: before.status, to, ...(reason ? { reason } : {}) },
      });
      return after;
    });
  }

  return {
    /** Creates the tenant: its profile, its domains and its first reseller login, in one transaction. */
    async create(actor: Actor, input: NewResellerInput): Promise<{ reseller: Reseller; owner: User }> {
      checkPasswordPolicy(input.owner.password, input.owner.email, 'owner.password');
      const passwordHash = await hasher.hash(input.owner.password);
      const id = newId();
      const scope = tenantScope(id);
      try {
        return await db.withTenant(scope, async (tx) => {
          await insertReseller(tx, scope, {
            id,
            slug: input.slug,
            brandName: input.brandName,
            logoUrl: input.logoUrl,
            supportEmail: input.supportEmail,
            allowCustomProducts: input.allowCustomProducts,
          });
          await replaceDomains(tx, scope, id, [...new Set(input.customDomains)]);
          const owner = await insertUser(tx, scope, {
            id: newId(),
            tenantId: id,
            role: 'reseller',
            email: input.owner.email,
            name: input.owner.name,
            language: 'en',
            currency: 'EUR',
            passwordHash,
          });
          const reseller = (await findReseller(tx, scope, id))!;
          await outbox.enqueue(tx, {
            type: ResellerCreated.type,
            tenantId: id,
            data: profileOf(reseller, owner.email),
          });
          await insertAudit(tx, {
            tenantId: id,
            type: 'reseller.created',
            actorId: actor.auth.userId,
            subjectId: id,
            ip: actor.ip,
          });
          return { reseller, owner };
        });
      } catch (err) {
        throw conflictOf(err);
      } finally {
        deps.onChange?.();
      }
    },

    async list(actor: Actor, page: { limit: number; after?: string }): Promise<Page<Reseller>> {
      const { scope } = scopeOf(actor);
      const items = await db.withTenant(scope, (tx) =>
        listResellers(tx, scope, { limit: page.limit + 1, ...(page.after ? { after: page.after } : {}) }),
      );
      const shown = items.slice(0, page.limit);
      return { items: shown, ...(items.length > page.limit ? { next: shown[shown.length - 1]!.id } : {}) };
    },

    async get(actor: Actor, id: string): Promise<Reseller> {
      const { scope } = scopeOf(actor);
      const r = await db.withTenant(scope, (tx) => findReseller(tx, scope, id));
      if (!r) throw resellerNotFound();
      return r;
    },

    async update(actor: Actor, id: string, patch: ResellerPatchInput): Promise<Reseller> {
      const scope = tenantScope(id);
      try {
        return await db.withTenant(scope, async (tx) => {
          const before = await findReseller(tx, scope, id);
          if (!before) throw resellerNotFound();
          await updateReseller(tx, scope, id, patch);
          if (patch.customDomains) await replaceDomains(tx, scope, id, [...new Set(patch.customDomains)]);
          const after = (await findReseller(tx, scope, id))!;
          await outbox.enqueue(tx, {
            type: ResellerUpdated.type,
            tenantId: id,
            data: {
              ...profileOf(after, await resellerContactEmail(tx, scope, id)),
              ...(patch.customDomains ? { previousCustomDomains: before.customDomains } : {}),
            },
          });
          await insertAudit(tx, {
            tenantId: id,
            type: 'reseller.updated',
            actorId: actor.auth.userId,
            subjectId: id,
            ip: actor.ip,
            data: { fields: Object.keys(patch) },
          });
          return after;
        });
      } catch (err) {
        throw conflictOf(err);
      } finally {
        deps.onChange?.();
      }
    },

    suspend: (actor: Actor, id: string, reason?: string) =>
      changing(() => changeStatus(actor, id, 'suspended', reason)),
    activate: (actor: Actor, id: string) => changing(() => changeStatus(actor, id, 'active')),
  };
}

export type ResellersService = ReturnType<typeof createResellersService>;
