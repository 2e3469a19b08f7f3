import {
  allTenants,
  newId,
  uniqueViolation,
  type AuthContext,
  tenantScope,
  type Database,
} from '@geminis/service-kit';
import {
  deleteDepartment,
  findDepartment,
  findSharedDepartment,
  insertDepartment,
  listDepartments,
  listSharedDepartments,
  updateDepartment,
  type Department,
} from '../store/departments.store';
import { isPlatform, PLATFORM_TENANT_ID, viewerOf, writeScope } from './context';
import { departmentInUse, departmentNameTaken, departmentNotFound, onlyPlatformShares } from './errors';
import { type DepartmentInput, type DepartmentPatch } from './inputs';

const renamed = async <T>(work: Promise<T>): Promise<T> => {
  try {
    return await work;
  } catch (err) {
    if (uniqueViolation(err) === 'departments_tenant_id_name_key') throw departmentNameTaken();
    throw err;
  }
};

/**
 * Departments of the platform and of each reseller. Staff manage their own tenant's; a client sees its
 * tenant's public departments and, for a reseller's client, the platform's public shared ones.
 */
export function createDepartmentsService(deps: { db: Database }) {
  const { db } = deps;

  /** The departments a client may open a ticket in. */
  async function forClient(tenantId: string): Promise<Department[]> {
    const scope = tenantScope(tenantId);
    const own = await db.withTenant(scope, (tx) => listDepartments(tx, scope, { publicOnly: true }));
    if (isPlatform(tenantId)) return own;
    const shared = await db.withTenant(allTenants, (tx) => listSharedDepartments(tx, PLATFORM_TENANT_ID));
    return [...own, ...shared];
  }

  return {
    async list(auth: AuthContext, tenantId?: string): Promise<Department[]> {
      if (auth.role === 'client') return forClient(auth.tenantId);
      const { scope } = viewerOf(auth, tenantId);
      return db.withTenant(scope, (tx) => listDepartments(tx, scope, { publicOnly: false }));
    },

    /**
     * The department a client of this tenant may open a ticket in: its own tenant's public one, or a
     * shared platform one (staff moving a ticket may also pick the tenant's hidden ones). Undefined
     * otherwise (answered like a missing department).
     */
    async openable(
      clientTenantId: string,
      id: string,
      opts: { staff?: boolean } = {},
    ): Promise<Department | undefined> {
      const scope = tenantScope(clientTenantId);
      const own = await db.withTenant(scope, (tx) => findDepartment(tx, scope, id));
      if (own) return own.visibility === 'public' || opts.staff ? own : undefined;
      if (isPlatform(clientTenantId)) return undefined;
      return db.withTenant(allTenants, (tx) => findSharedDepartment(tx, PLATFORM_TENANT_ID, id));
    },

    async get(auth: AuthContext, id: string, tenantId?: string): Promise<Department> {
      const { scope } = viewerOf(auth, tenantId);
      const d = await db.withTenant(scope, (tx) => findDepartment(tx, scope, id));
      if (!d) throw departmentNotFound();
      return d;
    },

    async create(
      auth: AuthContext,
      input: Omit<DepartmentInput, 'closedTicketMail'> & Partial<Pick<DepartmentInput, 'closedTicketMail'>>,
      tenantId?: string,
    ): Promise<Department> {
      const scope = writeScope(auth, tenantId);
      if (input.shared && !isPlatform(scope.tenantId)) throw onlyPlatformShares();
      const d = { id: newId(), closedTicketMail: 'reopen' as const, ...input };
      return renamed(db.withTenant(scope, (tx) => insertDepartment(tx, scope, d)));
    },

    async update(auth: AuthContext, id: string, patch: DepartmentPatch, tenantId?: string) {
      const { scope } = viewerOf(auth, tenantId);
      return renamed(
        db.withTenant(scope, async (tx) => {
          const current = await findDepartment(tx, scope, id);
          if (!current) throw departmentNotFound();
          if (patch.shared && !isPlatform(current.tenantId)) throw onlyPlatformShares();
          const d = await updateDepartment(tx, scope, id, patch);
          if (!d) throw departmentNotFound();
          return d;
        }),
      );
    },

    async remove(auth: AuthContext, id: string, tenantId?: string): Promise<void> {
      const { scope } = viewerOf(auth, tenantId);
      await db.withTenant(scope, async (tx) => {
        const outcome = await deleteDepartment(tx, scope, id);
        if (outcome === 'missing') throw departmentNotFound();
        if (outcome === 'in_use') throw departmentInUse();
      });
    },
  };
}

export type DepartmentsService = ReturnType<typeof createDepartmentsService>;
