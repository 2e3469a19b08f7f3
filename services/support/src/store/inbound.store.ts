import { rows, writeTenant, type SingleTenantScope, type Tx } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

/** Records a received message for a ticket; false when this Message-ID was already received. */
export async function recordInbound(
  tx: Tx,
  scope: SingleTenantScope,
  messageId: string,
  ticketId: string,
): Promise<boolean> {
  const made = await rows<{ message_id: string }>(
    tx,
    sql`insert into inbound_mails (tenant_id, message_id, ticket_id)
        values (${writeTenant(scope)}, ${messageId}, ${ticketId})
        on conflict (tenant_id, message_id) do nothing returning message_id`,
  );
  return made.length > 0;
}
