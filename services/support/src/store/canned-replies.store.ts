import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export interface CannedReply {
  id: string;
  tenantId: string;
  title: string;
  body: string;
}

interface CannedRow {
  id: string;
  tenant_id: string;
  title: string;
  body: string;
}

const toCanned = (r: CannedRow): CannedReply => ({
  id: r.id,
  tenantId: r.tenant_id,
  title: r.title,
  body: r.body,
});

export async function insertCannedReply(
  tx: Tx,
  scope: SingleTenantScope,
  c: { id: string; title: string; body: string },
): Promise<CannedReply> {
  const [row] = await rows<CannedRow>(
    tx,
    sql`insert into canned_replies (id, tenant_id, title, body)
        values (${c.id}, ${writeTenant(scope)}, ${c.title}, ${c.body}) returning *`,
  );
  return toCanned(row!);
}

export async function listCannedReplies(tx: Tx, scope: TenantScope): Promise<CannedReply[]> {
  const found = await rows<CannedRow>(
    tx,
    sql`select * from canned_replies where ${tenantIs(scope)} order by title, id`,
  );
  return found.map(toCanned);
}

export async function updateCannedReply(
  tx: Tx,
  scope: TenantScope,
  id: string,
  patch: { title?: string | undefined; body?: string | undefined },
): Promise<CannedReply | undefined> {
  const [row] = await rows<CannedRow>(
    tx,
    sql`update canned_replies set title = coalesce(${patch.title ?? null}, title),
                                  body = coalesce(${patch.body ?? null}, body)
        where ${tenantIs(scope)} and id = ${id} returning *`,
  );
  return row && toCanned(row);
}

export async function deleteCannedReply(tx: Tx, scope: TenantScope, id: string): Promise<boolean> {
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from canned_replies where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0;
}
