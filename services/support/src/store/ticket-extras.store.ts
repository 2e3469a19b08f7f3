import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/** Moves the source ticket's messages, attachments and received Message-IDs to the target (same tenant). */
export async function moveTicketContent(tx: Tx, scope: SingleTenantScope, fromId: string, toId: string) {
  for (const table of ['ticket_messages', 'ticket_attachments', 'inbound_mails'])
    await tx.execute(
      sql`update ${sql.raw(table)} set ticket_id = ${toId} where ${tenantIs(scope)} and ticket_id = ${fromId}`,
    );
}

export async function setMergedInto(tx: Tx, scope: SingleTenantScope, id: string, intoId: string) {
  await tx.execute(
    sql`update tickets set merged_into_id = ${intoId} where ${tenantIs(scope)} and id = ${id}`,
  );
}

export async function mergedInto(tx: Tx, scope: TenantScope, id: string): Promise<string | null> {
  const [row] = await rows<{ merged_into_id: string | null }>(
    tx,
    sql`select merged_into_id from tickets where ${tenantIs(scope)} and id = ${id}`,
  );
  return row?.merged_into_id ?? null;
}

export interface Rating {
  score: number;
  comment: string | null;
  ratedAt: Date;
}

export async function saveRating(
  tx: Tx,
  scope: SingleTenantScope,
  r: { ticketId: string; clientId: string; score: number; comment: string | null; at: Date },
): Promise<Rating> {
  const [row] = await rows<{ score: number; comment: string | null; rated_at: Date }>(
    tx,
    sql`insert into ticket_ratings (tenant_id, ticket_id, client_id, score, comment, rated_at)
        values (${writeTenant(scope)}, ${r.ticketId}, ${r.clientId}, ${r.score}, ${r.comment}, ${r.at})
        on conflict (tenant_id, ticket_id) do update
          set score = excluded.score, comment = excluded.comment, rated_at = excluded.rated_at
        returning score, comment, rated_at`,
  );
  return { score: row!.score, comment: row!.comment, ratedAt: new Date(row!.rated_at) };
}

export async function findRating(tx: Tx, scope: TenantScope, ticketId: string): Promise<Rating | undefined> {
  const [row] = await rows<{ score: number; comment: string | null; rated_at: Date }>(
    tx,
    sql`select score, comment, rated_at from ticket_ratings where ${tenantIs(scope)} and ticket_id = ${ticketId}`,
  );
  return row && { score: row.score, comment: row.comment, ratedAt: new Date(row.rated_at) };
}
