import { type AccountStatus } from '@geminis/contracts';
import { tenantScope, type AuthContext, type Database, type TenantScope } from '@geminis/service-kit';
import {
  findAccount,
  findAccountOfService,
  findAccountPassword,
  listAccounts,
  type Account,
} from '../store/accounts.store';
import { findUsage } from '../store/usage.store';
import { readScope } from './context';
import { type Cipher } from './crypto';
import { accountNotFound } from './errors';

/** A client sees its own accounts only; staff their tenant's (admins every tenant's, or one). */
const visibleTo = (auth: AuthContext, account: Account | null): Account | null =>
  account && (auth.role !== 'client' || account.clientId === auth.userId) ? account : null;

export function createAccountsService(deps: { db: Database; cipher: Cipher }) {
  const { db, cipher } = deps;

  async function find(auth: AuthContext, scope: TenantScope, id: string) {
    const account = visibleTo(auth, await db.withTenant(scope, (tx) => findAccount(tx, scope, id)));
    if (!account) throw accountNotFound();
    return account;
  }

  return {
    async list(auth: AuthContext, filter: { status?: AccountStatus; tenantId?: string; drift?: 'true' }) {
      const scope = readScope(auth, filter.tenantId);
      return db.withTenant(scope, (tx) =>
        listAccounts(tx, scope, {
          ...(auth.role === 'client' ? { clientId: auth.userId } : {}),
          ...(filter.status ? { status: filter.status } : {}),
          ...(filter.drift ? { drifted: true } : {}),
        }),
      );
    },
    get: (auth: AuthContext, id: string, tenantId?: string) => find(auth, readScope(auth, tenantId), id),

    /** Disk and bandwidth as the usage sync last read them: to its client and its tenant's staff. */
    async usage(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      await find(auth, scope, id);
      const usage = await db.withTenant(scope, (tx) => findUsage(tx, scope, id));
      if (!usage) throw accountNotFound();
      return usage;
    },

    /** The panel login of an account: to its client and its tenant's staff, never in a list or an event. */
    /** The panel login of a client service's account, for our own services (notifications): no user. */
    async credentialsOfService(tenantId: string, serviceId: string) {
      const scope = tenantScope(tenantId);
      const found = await db.withTenant(scope, async (tx) => {
        const account = await findAccountOfService(tx, scope, serviceId);
        return account ? { account, sealed: await findAccountPassword(tx, scope, account.id) } : null;
      });
      const account = found?.account;
      if (
        !found?.sealed ||
        !account?.username ||
        account.status === 'pending' ||
        account.status === 'terminated'
      )
        throw accountNotFound();
      return {
        username: account.username,
        password: cipher.open('account-passwords', found.sealed),
        host: account.host,
      };
    },
    async credentials(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      const account = await find(auth, scope, id);
      const sealed = await db.withTenant(scope, (tx) => findAccountPassword(tx, scope, id));
      if (!sealed || !account.username || account.status === 'pending' || account.status === 'terminated')
        throw accountNotFound();
      return {
        username: account.username,
        password: cipher.open('account-passwords', sealed),
        host: account.host,
      };
    },
  };
}

export type AccountsService = ReturnType<typeof createAccountsService>;
