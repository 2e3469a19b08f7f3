import { type AuditEntryType } from '@geminis/contracts';
import { newId, rows, type TenantScope, type Tx, tenantIs } from '@geminis/service-kit';
import { sql, type SQL } from 'drizzle-orm';

/** What the audit log records: the contract's list, so an entry the API would not document cannot be written. */
export type AuditType = AuditEntryType;

export interface AuditEntry {
  tenantId: string;
  type: AuditType;
  actorId?: string | null | undefined;
  subjectId?: string | null | undefined;
  ip?: string | null | undefined;
  data?: Record<string, unknown>;
}

export interface AuditRecord {
  id: string;
  tenantId: string;
  type: AuditType;
  actorId: string | null;
  subjectId: string | null;
  ip: string | null;
  data: Record<string, unknown>;
  createdAt: string;
}

/** The insert of one entry, as a statement of its own or as a data-modifying CTE of another (`along`). */
export const auditInsert = (entry: AuditEntry): SQL =>
  sql`insert into audit_log (id, tenant_id, type, actor_id, subject_id, ip, data)
      values (${newId()}, ${entry.tenantId}, ${entry.type}, ${entry.actorId ?? null},
              ${entry.subjectId ?? null}, ${entry.ip ?? null}, ${JSON.stringify(entry.data ?? {})}::jsonb)`;

export async function insertAudit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.execute(auditInsert(entry));
}

export async function listAudit(
  tx: Tx,
  scope: TenantScope,
  page: { before?: string; limit: number; type?: string },
): Promise<AuditRecord[]> {
  const list = await rows<{
    id: string;
    tenant_id: string;
    type: AuditType;
    actor_id: string | null;
    subject_id: string | null;
    ip: string | null;
    data: Record<string, unknown>;
    created_at: Date;
  }>(
    tx,
    sql`select * from audit_log
        where ${tenantIs(scope)}
          ${page.before ? sql`and id < ${page.before}` : sql``}
          ${page.type ? sql`and type = ${page.type}` : sql``}
        order by id desc limit ${page.limit}`,
  );
  return list.map((r) => ({
    id: r.id,
    tenantId: r.tenant_id,
    type: r.type,
    actorId: r.actor_id,
    subjectId: r.subject_id,
    ip: r.ip,
    data: r.data,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}
