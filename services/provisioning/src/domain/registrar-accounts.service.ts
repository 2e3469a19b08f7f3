import {
  allTenants,
  ConflictError,
  newId,
  type AuthContext,
  type Database,
  type Tx,
} from '@geminis/service-kit';
import { isPanelError } from '../modules/panel';
import { type RegistrarConnection, type RegistrarCredentials } from '../registrars/registrar';
import { type Registrars } from '../registrars/registrars';
import {
  accountHoldsDomains,
  deleteRegistrarAccount,
  deleteTldRegistrar,
  findAccountAnyTenant,
  findRegistrarAccount,
  insertRegistrarAccount,
  listRegistrarAccounts,
  listTldRegistrars,
  saveRegistrarAccount,
  sealedOf,
  upsertTldRegistrar,
  type RegistrarAccount,
} from '../store/registrar-accounts.store';
import { isUniqueViolation } from '../store/sql';
import { readScope, writeScope } from './context';
import { type Cipher } from './crypto';
import {
  REGISTRAR_CREDENTIALS,
  type RegistrarAccountInput,
  type RegistrarAccountPatch,
} from './domain-inputs';
import { invalidField, invalidUnder, registrarAccountNotFound, tldRegistrarNotFound } from './errors';

const nameTaken = () =>
  new ConflictError(
    'provisioning.registrar_account_name_taken',
    'a registrar account with this name exists',
    {
      fieldErrors: [{ field: 'name', message: 'already in use' }],
    },
  );

/** The credentials of an account, opened for one call to its registrar. */
export const connectionOfAccount = (
  cipher: Cipher,
  account: Pick<RegistrarAccount, 'id' | 'registrar' | 'endpoint'>,
  sealed: string,
): RegistrarConnection => ({
  accountId: account.id,
  registrar: account.registrar,
  endpoint: account.endpoint,
  credentials: JSON.parse(cipher.open('registrar-credentials', sealed)) as RegistrarCredentials,
});

/** The connection of an account whatever its tenant (jobs, sync, callbacks); null when it is gone. */
export async function connectionById(db: Database, cipher: Cipher, accountId: string) {
  const found = await db.withTenant(allTenants, (tx) => findAccountAnyTenant(tx, accountId));
  return found
    ? { account: found.account, conn: connectionOfAccount(cipher, found.account, found.sealed) }
    : null;
}

/** Registrar accounts per tenant and the registrar each TLD goes to: staff only, each tenant its own. */
export function createRegistrarAccountsService(deps: {
  db: Database;
  cipher: Cipher;
  registrars: Registrars;
}) {
  const { db, cipher, registrars } = deps;

  const sealCredentials = (registrar: RegistrarAccount['registrar'], raw: unknown) => {
    const parsed = REGISTRAR_CREDENTIALS[registrar].safeParse(raw);
    if (!parsed.success)
      throw invalidUnder('provisioning.invalid_registrar_account', 'credentials', parsed.error);
    return {
      sealed: cipher.seal('registrar-credentials', JSON.stringify(parsed.data)),
      webhookSecretSet: parsed.data.webhookSecret !== undefined,
    };
  };

  return {
    async list(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listRegistrarAccounts(tx, scope));
    },
    async get(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const a = await db.withTenant(scope, (tx) => findRegistrarAccount(tx, scope, id));
      if (!a) throw registrarAccountNotFound();
      return a;
    },
    async create(auth: AuthContext, input: RegistrarAccountInput, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const { sealed, webhookSecretSet } = sealCredentials(input.registrar, input.credentials);
      try {
        return await db.withTenant(scope, (tx) =>
          insertRegistrarAccount(tx, scope, {
            id: newId(),
            name: input.name,
            registrar: input.registrar,
            endpoint: input.endpoint,
            webhookUrl: input.webhookUrl,
            webhookSecretSet,
            enabled: input.enabled,
            sealedCredentials: sealed,
          }),
        );
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken() : err;
      }
    },
    async update(auth: AuthContext, id: string, patch: RegistrarAccountPatch, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      try {
        return await db.withTenant(scope, async (tx) => {
          const current = await findRegistrarAccount(tx, scope, id);
          if (!current) throw registrarAccountNotFound();
          const sealed = patch.credentials
            ? sealCredentials(current.registrar, patch.credentials)
            : undefined;
          const { credentials: _, ...fields } = patch;
          const next: RegistrarAccount = {
            ...current,
            ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
            ...(sealed ? { webhookSecretSet: sealed.webhookSecretSet } : {}),
          };
          return saveRegistrarAccount(tx, scope, next, sealed?.sealed);
        });
      } catch (err) {
        throw isUniqueViolation(err) ? nameTaken() : err;
      }
    },
    async remove(auth: AuthContext, id: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const inUse = () =>
        new ConflictError(
          'provisioning.registrar_account_in_use',
          'the account still holds domains or is the registrar of a TLD',
        );
      await db.withTenant(scope, async (tx) => {
        if (!(await findRegistrarAccount(tx, scope, id))) throw registrarAccountNotFound();
      });
      if (await db.withTenant(allTenants, (tx) => accountHoldsDomains(tx, id))) throw inUse();
      await db.withTenant(scope, async (tx) => {
        if (!(await findRegistrarAccount(tx, scope, id))) throw registrarAccountNotFound();
        if (!(await deleteRegistrarAccount(tx, scope, id))) throw inUse();
      });
    },
    async testConnection(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const found = await db.withTenant(scope, async (tx: Tx) => {
        const account = await findRegistrarAccount(tx, scope, id);
        const sealed = account ? await sealedOf(tx, scope, id) : null;
        return account && sealed ? { account, sealed } : null;
      });
      if (!found) throw registrarAccountNotFound();
      try {
        await registrars
          .adapterFor(connectionOfAccount(cipher, found.account, found.sealed))
          .testConnection();
        return { ok: true };
      } catch (err) {
        if (isPanelError(err)) return { ok: false, error: err.message };
        throw err;
      }
    },

    async listTlds(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listTldRegistrars(tx, scope));
    },
    /** Sets the account a TLD's domains go to: one of the tenant's own accounts. */
    async setTld(auth: AuthContext, tld: string, accountId: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        if (!(await findRegistrarAccount(tx, scope, accountId)))
          throw invalidField('provisioning.invalid_tld_registrar', 'accountId', 'no such registrar account');
        return upsertTldRegistrar(tx, scope, tld, accountId);
      });
    },
    async removeTld(auth: AuthContext, tld: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const removed = await db.withTenant(scope, (tx) => deleteTldRegistrar(tx, scope, tld));
      if (!removed) throw tldRegistrarNotFound();
    },
  };
}

export type RegistrarAccountsService = ReturnType<typeof createRegistrarAccountsService>;
