import {
  pgError,
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export type Visibility = 'public' | 'hidden';

export interface Department {
  id: string;
  tenantId: string;
  name: string;
  email: string;
  visibility: Visibility;
  shared: boolean;
  defaultAssigneeId: string | null;
  firstResponseMinutes: number | null;
  /** What a client's mail to one of its closed tickets does: reopen it, or open a new one referring to it. */
  closedTicketMail: ClosedTicketMail;
}

export type ClosedTicketMail = 'reopen' | 'new_ticket';

interface DepartmentRow {
  id: string;
  tenant_id: string;
  name: string;
  email: string;
  visibility: Visibility;
  shared: boolean;
  default_assignee_id: string | null;
  first_response_minutes: number | null;
  closed_ticket_mail: ClosedTicketMail;
}

const toDepartment = (r: DepartmentRow): Department => ({
  id: r.id,
  tenantId: r.tenant_id,
  name: r.name,
  email: r.email,
  visibility: r.visibility,
  shared: r.shared,
  defaultAssigneeId: r.default_assignee_id,
  firstResponseMinutes: r.first_response_minutes,
  closedTicketMail: r.closed_ticket_mail,
});

export async function insertDepartment(
  tx: Tx,
  scope: SingleTenantScope,
  d: Omit<Department, 'tenantId'>,
): Promise<Department> {
  const [row] = await rows<DepartmentRow>(
    tx,
    sql`insert into departments (id, tenant_id, name, email, visibility, shared, default_assignee_id,
                                 first_response_minutes, closed_ticket_mail)
        values (${d.id}, ${writeTenant(scope)}, ${d.name}, ${d.email}, ${d.visibility}, ${d.shared},
                ${d.defaultAssigneeId}, ${d.firstResponseMinutes}, ${d.closedTicketMail})
        returning *`,
  );
  return toDepartment(row!);
}

export async function listDepartments(
  tx: Tx,
  scope: TenantScope,
  filter: { publicOnly: boolean },
): Promise<Department[]> {
  const found = await rows<DepartmentRow>(
    tx,
    sql`select * from departments where ${tenantIs(scope)}
          and (${!filter.publicOnly} or visibility = 'public')
        order by name, id`,
  );
  return found.map(toDepartment);
}

/**
 * The platform's shared, public departments: the one cross-tenant question about departments. The caller
 * runs it under `allTenants` on purpose; the query is pinned to the platform tenant in SQL.
 */
export async function listSharedDepartments(tx: Tx, platformTenantId: string): Promise<Department[]> {
  const found = await rows<DepartmentRow>(
    tx,
    sql`select * from departments
        where tenant_id = ${platformTenantId} and shared and visibility = 'public'
        order by name, id`,
  );
  return found.map(toDepartment);
}

export async function findSharedDepartment(
  tx: Tx,
  platformTenantId: string,
  id: string,
): Promise<Department | undefined> {
  const [row] = await rows<DepartmentRow>(
    tx,
    sql`select * from departments
        where tenant_id = ${platformTenantId} and id = ${id} and shared and visibility = 'public'`,
  );
  return row && toDepartment(row);
}

export async function findDepartment(
  tx: Tx,
  scope: TenantScope,
  id: string,
): Promise<Department | undefined> {
  const [row] = await rows<DepartmentRow>(
    tx,
    sql`select * from departments where ${tenantIs(scope)} and id = ${id}`,
  );
  return row && toDepartment(row);
}

export type DepartmentPatch = Partial<Omit<Department, 'id' | 'tenantId'>>;

export async function updateDepartment(
  tx: Tx,
  scope: TenantScope,
  id: string,
  patch: DepartmentPatch,
): Promise<Department | undefined> {
  const has = (k: keyof DepartmentPatch) => patch[k] !== undefined;
  const [row] = await rows<DepartmentRow>(
    tx,
    sql`update departments set
          name = case when ${has('name')} then ${patch.name ?? null} else name end,
          email = case when ${has('email')} then ${patch.email ?? null} else email end,
          visibility = case when ${has('visibility')} then ${patch.visibility ?? null} else visibility end,
          shared = case when ${has('shared')} then ${patch.shared ?? null}::boolean else shared end,
          default_assignee_id = case when ${has('defaultAssigneeId')}
                                     then ${patch.defaultAssigneeId ?? null}::uuid else default_assignee_id end,
          first_response_minutes = case when ${has('firstResponseMinutes')}
                                        then ${patch.firstResponseMinutes ?? null}::integer
                                        else first_response_minutes end,
          closed_ticket_mail = coalesce(${patch.closedTicketMail ?? null}, closed_ticket_mail)
        where ${tenantIs(scope)} and id = ${id}
        returning *`,
  );
  return row && toDepartment(row);
}

/** Deletes a department that no ticket refers to: 'in_use' otherwise, 'missing' when not in scope. */
export async function deleteDepartment(
  tx: Tx,
  scope: TenantScope,
  id: string,
): Promise<'deleted' | 'missing' | 'in_use'> {
  const [found] = await rows<{ id: string; used: boolean }>(
    tx,
    sql`select d.id, exists (select 1 from tickets t where t.department_id = d.id) as used
        from departments d where ${tenantIs(scope, sql`d.tenant_id`)} and d.id = ${id}
        for update of d`,
  );
  if (!found) return 'missing';
  if (found.used) return 'in_use';
  try {
    await tx.execute(sql`delete from departments where ${tenantIs(scope)} and id = ${id}`);
  } catch (err) {
    // A shared platform department may be used by tickets of other tenants, which RLS hides from the
    // check above: the foreign key sees them. (The transaction is aborted; the caller answers 409.)
    if (pgError(err)?.code === '23503') return 'in_use';
    throw err;
  }
  return 'deleted';
}

/** Departments whose address this is (an inbound mail's recipient), across the scope's tenants. */
export async function findDepartmentsByEmail(
  tx: Tx,
  scope: TenantScope,
  email: string,
): Promise<Department[]> {
  const found = await rows<DepartmentRow>(
    tx,
    sql`select * from departments where ${tenantIs(scope)} and lower(email) = lower(${email}) order by id`,
  );
  return found.map(toDepartment);
}
