import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';
import { type Viewer } from '../domain/context';
import { type OpenedBy, type Priority, type Ticket, type TicketStatus } from '../domain/ticket';

interface TicketRow {
  id: string;
  tenant_id: string;
  client_id: string;
  department_id: string | null;
  subject: string;
  priority: Priority;
  status: TicketStatus;
  opened_by: OpenedBy;
  assignee_id: string | null;
  related_service_id: string | null;
  related_invoice_id: string | null;
  tags: string[];
  created_at: Date;
  updated_at: Date;
  closed_at: Date | null;
  first_response_at: Date | null;
  sla_due_at: Date | null;
  sla_breached_at: Date | null;
  follow_up_of: string | null;
}

const toTicket = (r: TicketRow): Ticket => ({
  id: r.id,
  tenantId: r.tenant_id,
  clientId: r.client_id,
  departmentId: r.department_id,
  subject: r.subject,
  priority: r.priority,
  status: r.status,
  openedBy: r.opened_by,
  assigneeId: r.assignee_id,
  relatedServiceId: r.related_service_id,
  relatedInvoiceId: r.related_invoice_id,
  tags: r.tags,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
  closedAt: r.closed_at && new Date(r.closed_at),
  firstResponseAt: r.first_response_at && new Date(r.first_response_at),
  slaDueAt: r.sla_due_at && new Date(r.sla_due_at),
  slaBreachedAt: r.sla_breached_at && new Date(r.sla_breached_at),
  followUpOf: r.follow_up_of,
});

/** A text[] parameter (drizzle would spread a JS array into a list). */
const textArray = (values: string[]): SQL =>
  sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))::text[]`;

/** The viewer's wall: its tenant scope and, for a client, its own tickets only. */
const visibleTo = (viewer: Viewer, alias = 't'): SQL =>
  sql`${tenantIs(viewer.scope, sql.raw(`${alias}.tenant_id`))}
      and (${viewer.clientId ?? null}::uuid is null or ${sql.raw(`${alias}.client_id`)} = ${viewer.clientId ?? null}::uuid)`;

export interface NewTicket {
  id: string;
  clientId: string;
  departmentId: string | null;
  subject: string;
  priority: Priority;
  status: TicketStatus;
  openedBy: OpenedBy;
  assigneeId: string | null;
  relatedServiceId: string | null;
  relatedInvoiceId: string | null;
  tags: string[];
  slaDueAt: Date | null;
  /** Set when staff speak first (a ticket staff open for a client). */
  firstResponseAt?: Date;
  originEventId?: string;
  followUpOf?: string;
  at: Date;
}

/** Inserts a ticket; undefined when a system ticket for the same origin event already exists. */
export async function insertTicket(
  tx: Tx,
  scope: SingleTenantScope,
  t: NewTicket,
): Promise<Ticket | undefined> {
  const [row] = await rows<TicketRow>(
    tx,
    sql`insert into tickets (id, tenant_id, client_id, department_id, subject, priority, status, opened_by,
                             assignee_id, related_service_id, related_invoice_id, tags, origin_event_id,
                             created_at, updated_at, status_changed_at, sla_due_at, first_response_at,
                             follow_up_of)
        values (${t.id}, ${writeTenant(scope)}, ${t.clientId}, ${t.departmentId}, ${t.subject}, ${t.priority},
                ${t.status}, ${t.openedBy}, ${t.assigneeId}, ${t.relatedServiceId}, ${t.relatedInvoiceId},
                ${textArray(t.tags)}, ${t.originEventId ?? null}, ${t.at}, ${t.at}, ${t.at}, ${t.slaDueAt},
                ${t.firstResponseAt ?? null}, ${t.followUpOf ?? null})
        on conflict (tenant_id, origin_event_id) do nothing
        returning *`,
  );
  return row && toTicket(row);
}

export async function findTicket(
  tx: Tx,
  viewer: Viewer,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<Ticket | undefined> {
  const [row] = await rows<TicketRow>(
    tx,
    sql`select t.* from tickets t where ${visibleTo(viewer)} and t.id = ${id}
        ${opts.forUpdate ? sql`for update` : sql``}`,
  );
  return row && toTicket(row);
}

export interface TicketFilter {
  status?: TicketStatus;
  departmentId?: string;
  assigneeId?: string;
  breached?: boolean;
  /** Keyset: tickets older than this one (ids are UUIDv7, so id order is creation order). */
  before?: string;
  limit: number;
}

/** One page, newest first, in one query; limit + 1 rows are read to know whether another page follows. */
export async function listTickets(
  tx: Tx,
  viewer: Viewer,
  f: TicketFilter,
): Promise<{ items: Ticket[]; more: boolean }> {
  const found = await rows<TicketRow>(
    tx,
    sql`select t.* from tickets t
        where ${visibleTo(viewer)}
          ${f.status ? sql`and t.status = ${f.status}` : sql``}
          ${f.departmentId ? sql`and t.department_id = ${f.departmentId}` : sql``}
          ${f.assigneeId ? sql`and t.assignee_id = ${f.assigneeId}` : sql``}
          ${f.breached === undefined ? sql`` : f.breached ? sql`and t.sla_breached_at is not null` : sql`and t.sla_breached_at is null`}
          ${f.before ? sql`and t.id < ${f.before}` : sql``}
        order by t.id desc
        limit ${f.limit + 1}`,
  );
  return { items: found.slice(0, f.limit).map(toTicket), more: found.length > f.limit };
}

export interface TicketChange {
  status?: TicketStatus;
  priority?: Priority;
  assigneeId?: string | null;
  departmentId?: string;
  tags?: string[];
  firstResponseAt?: Date;
}

/** Applies a change to one ticket of the scope; status changes stamp status_changed_at and closed_at. */
export async function updateTicket(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  c: TicketChange,
  at: Date,
): Promise<Ticket | undefined> {
  const has = (k: keyof TicketChange) => c[k] !== undefined;
  const [row] = await rows<TicketRow>(
    tx,
    sql`update tickets set
          status_changed_at = case when ${has('status')} and status <> ${c.status ?? null} then ${at}
                                   else status_changed_at end,
          closed_at = case when ${has('status')} then
                        case when ${c.status ?? null} = 'closed' then coalesce(closed_at, ${at}) else null end
                      else closed_at end,
          status = coalesce(${c.status ?? null}, status),
          priority = coalesce(${c.priority ?? null}, priority),
          assignee_id = case when ${has('assigneeId')} then ${c.assigneeId ?? null}::uuid else assignee_id end,
          department_id = coalesce(${c.departmentId ?? null}::uuid, department_id),
          tags = case when ${has('tags')} then ${textArray(c.tags ?? [])} else tags end,
          first_response_at = coalesce(first_response_at, ${c.firstResponseAt ?? null}::timestamptz),
          updated_at = ${at}
        where ${tenantIs(scope)} and id = ${id}
        returning *`,
  );
  return row && toTicket(row);
}

export async function deleteTicket(tx: Tx, scope: SingleTenantScope, id: string): Promise<boolean> {
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from tickets where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0;
}

/**
 * SLA sweep, set-based: every ticket of the scope still waiting for its first staff answer past its
 * deadline is marked breached once (a ticket already marked is left alone). Returns how many were marked.
 */
export async function markSlaBreaches(tx: Tx, scope: TenantScope, now: Date): Promise<number> {
  const marked = await rows<{ id: string }>(
    tx,
    sql`update tickets set sla_breached_at = ${now}
        where ${tenantIs(scope)} and first_response_at is null and sla_breached_at is null
          and status <> 'closed' and sla_due_at <= ${now}
        returning id`,
  );
  return marked.length;
}

/** Closes, set-based, the tickets of the scope answered by staff and left by the client since `cutoff`. */
export async function closeAwaitingClient(
  tx: Tx,
  scope: TenantScope,
  cutoff: Date,
  now: Date,
): Promise<number> {
  const closed = await rows<{ id: string }>(
    tx,
    sql`update tickets set status = 'closed', closed_at = ${now}, status_changed_at = ${now}, updated_at = ${now}
        where ${tenantIs(scope)} and status = 'answered' and status_changed_at <= ${cutoff}
        returning id`,
  );
  return closed.length;
}
