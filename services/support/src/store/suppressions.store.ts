import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/** An address a tenant no longer mails: it bounced for good. */
export interface Suppression {
  id: string;
  tenantId: string;
  email: string;
  reason: 'hard_bounce';
  statusCode: string | null;
  diagnostic: string | null;
  mailId: string | null;
  createdAt: Date;
}

interface SuppressionRow {
  id: string;
  tenant_id: string;
  email: string;
  reason: 'hard_bounce';
  status_code: string | null;
  diagnostic: string | null;
  mail_id: string | null;
  created_at: Date;
}

const toSuppression = (r: SuppressionRow): Suppression => ({
  id: r.id,
  tenantId: r.tenant_id,
  email: r.email,
  reason: r.reason,
  statusCode: r.status_code,
  diagnostic: r.diagnostic,
  mailId: r.mail_id,
  createdAt: new Date(r.created_at),
});

/** Suppresses an address (once: a second bounce of it keeps the first record). */
export async function suppress(
  tx: Tx,
  scope: SingleTenantScope,
  s: Omit<Suppression, 'tenantId'>,
): Promise<void> {
  await tx.execute(
    sql`insert into mail_suppressions (id, tenant_id, email, reason, status_code, diagnostic, mail_id, created_at)
        values (${s.id}, ${writeTenant(scope)}, ${s.email.toLowerCase()}, ${s.reason}, ${s.statusCode},
                ${s.diagnostic}, ${s.mailId}, ${s.createdAt})
        on conflict (tenant_id, email) do nothing`,
  );
}

export async function findSuppressionByEmail(
  tx: Tx,
  scope: SingleTenantScope,
  email: string,
): Promise<Suppression | undefined> {
  const [row] = await rows<SuppressionRow>(
    tx,
    sql`select * from mail_suppressions where ${tenantIs(scope)} and email = ${email.toLowerCase()}`,
  );
  return row && toSuppression(row);
}

export async function listSuppressions(
  tx: Tx,
  scope: TenantScope,
  q: { email?: string; before?: string; limit: number },
): Promise<{ items: Suppression[]; more: boolean }> {
  const found = await rows<SuppressionRow>(
    tx,
    sql`select * from mail_suppressions
        where ${tenantIs(scope)}
          ${q.email ? sql`and email = ${q.email.toLowerCase()}` : sql``}
          ${q.before ? sql`and id < ${q.before}` : sql``}
        order by id desc limit ${q.limit + 1}`,
  );
  return { items: found.slice(0, q.limit).map(toSuppression), more: found.length > q.limit };
}

export async function deleteSuppression(tx: Tx, scope: TenantScope, id: string): Promise<boolean> {
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from mail_suppressions where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0;
}
