import { type ClientCreated } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { upsertClient } from '../store/clients.store';

type Data = z.infer<typeof ClientCreated.schema>;

/**
 * identity.client.created.v1: billing's projection of the client (email and name for the provisioning
 * request's snapshot, currency for its orders and invoices), in the event's tenant.
 */
export const clientCreatedHandler: EventHandler = async (tx, event) => {
  const data = event.data as Data;
  await upsertClient(tx, tenantScope(event.tenantId), {
    id: data.clientId,
    email: data.email,
    name: data.name,
    currency: data.currency,
  });
};
