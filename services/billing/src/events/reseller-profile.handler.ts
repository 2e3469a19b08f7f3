import { PLATFORM_TENANT_ID, type ResellerCreated } from '@geminis/contracts';
import { applyTenantScope, tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { upsertResellerClient } from '../store/wholesale.store';

type Data = z.infer<typeof ResellerCreated.schema>;

/**
 * identity.reseller.created.v1 / identity.reseller.updated.v1: the reseller is a billing client of the
 * PLATFORM tenant (the platform invoices it the wholesale price of what it resells, and mails it at its
 * contact address once the event carries one). The event is the
 * reseller's own tenant's; the row is the platform's, so the transaction switches to the platform's tenant
 * for the write and back to the event's for whatever the consumer applies next in it.
 */
export const resellerProfileHandler: EventHandler = async (tx, event) => {
  const data = event.data as Data;
  await applyTenantScope(tx, tenantScope(PLATFORM_TENANT_ID));
  await upsertResellerClient(tx, {
    resellerId: data.resellerId,
    brandName: data.brandName,
    contactEmail: data.contactEmail,
  });
  await applyTenantScope(tx, tenantScope(event.tenantId));
};
