import { type ClientCreated } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { recordClient } from '../store/clients.store';

type Data = z.infer<typeof ClientCreated.schema>;

/**
 * identity.client.created.v1: remembers that the client belongs to the event's tenant, so a quote naming
 * a client of another tenant (or no client at all) is refused. Applied once per event by the inbox.
 */
export const clientCreatedHandler: EventHandler = async (tx, event) => {
  const data = event.data as Data;
  await recordClient(tx, tenantScope(event.tenantId), { clientId: data.clientId, createdAt: event.time });
};
