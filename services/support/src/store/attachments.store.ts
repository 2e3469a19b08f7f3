import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export interface Attachment {
  id: string;
  ticketId: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  author: 'client' | 'staff';
  authorId: string | null;
  createdAt: Date;
}

interface AttachmentRow {
  id: string;
  ticket_id: string;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  author: 'client' | 'staff';
  author_id: string | null;
  created_at: Date;
}

const toAttachment = (r: AttachmentRow): Attachment => ({
  id: r.id,
  ticketId: r.ticket_id,
  filename: r.filename,
  contentType: r.content_type,
  size: r.size,
  sha256: r.sha256,
  author: r.author,
  authorId: r.author_id,
  createdAt: new Date(r.created_at),
});

const META = sql`id, ticket_id, filename, content_type, size, sha256, author, author_id, created_at`;

export async function insertAttachment(
  tx: Tx,
  scope: SingleTenantScope,
  a: Omit<Attachment, 'createdAt'> & { data: Buffer },
  at: Date,
): Promise<Attachment> {
  const [row] = await rows<AttachmentRow>(
    tx,
    sql`insert into ticket_attachments (id, tenant_id, ticket_id, filename, content_type, size, sha256, data,
                                        author, author_id, created_at)
        values (${a.id}, ${writeTenant(scope)}, ${a.ticketId}, ${a.filename}, ${a.contentType}, ${a.size},
                ${a.sha256}, ${a.data}, ${a.author}, ${a.authorId}, ${at})
        returning ${META}`,
  );
  return toAttachment(row!);
}

export async function listAttachments(tx: Tx, scope: TenantScope, ticketId: string): Promise<Attachment[]> {
  const found = await rows<AttachmentRow>(
    tx,
    sql`select ${META} from ticket_attachments where ${tenantIs(scope)} and ticket_id = ${ticketId} order by id`,
  );
  return found.map(toAttachment);
}

export async function findAttachmentData(
  tx: Tx,
  scope: TenantScope,
  id: string,
): Promise<(Attachment & { tenantId: string; data: Buffer }) | undefined> {
  const [row] = await rows<AttachmentRow & { tenant_id: string; data: Buffer }>(
    tx,
    sql`select ${META}, tenant_id, data from ticket_attachments where ${tenantIs(scope)} and id = ${id}`,
  );
  return row && { ...toAttachment(row), tenantId: row.tenant_id, data: Buffer.from(row.data) };
}

export async function totalAttachmentBytes(tx: Tx, scope: TenantScope, ticketId: string): Promise<number> {
  const [row] = await rows<{ n: string }>(
    tx,
    sql`select coalesce(sum(size), 0)::bigint as n from ticket_attachments
        where ${tenantIs(scope)} and ticket_id = ${ticketId}`,
  );
  return Number(row!.n);
}
