import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Message, type MessageAuthor } from '../domain/ticket';

interface MessageRow {
  id: string;
  author_id: string | null;
  author: MessageAuthor;
  body: string;
  internal: boolean;
  created_at: Date;
}

const toMessage = (r: MessageRow): Message => ({
  id: r.id,
  authorId: r.author_id,
  author: r.author,
  body: r.body,
  internal: r.internal,
  createdAt: new Date(r.created_at),
});

export async function insertMessage(
  tx: Tx,
  scope: SingleTenantScope,
  ticketId: string,
  m: Omit<Message, 'createdAt'>,
  at: Date,
): Promise<Message> {
  const [row] = await rows<MessageRow>(
    tx,
    sql`insert into ticket_messages (id, tenant_id, ticket_id, author_id, author, body, internal, created_at)
        values (${m.id}, ${writeTenant(scope)}, ${ticketId}, ${m.authorId}, ${m.author}, ${m.body}, ${m.internal},
                ${at})
        returning *`,
  );
  return toMessage(row!);
}

/** A ticket's messages in order; internal notes only when asked for (never for a client). */
export async function listMessages(
  tx: Tx,
  scope: TenantScope,
  ticketId: string,
  opts: { includeInternal: boolean },
): Promise<Message[]> {
  const found = await rows<MessageRow>(
    tx,
    sql`select * from ticket_messages
        where ${tenantIs(scope)} and ticket_id = ${ticketId}
          ${opts.includeInternal ? sql`` : sql`and not internal`}
        order by id`,
  );
  return found.map(toMessage);
}
