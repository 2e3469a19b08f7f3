import { type ResellerCreated } from '@geminis/contracts';
import { PermanentEventError, tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { upsertReseller } from '../store/resellers.store';

type Profile = z.infer<typeof ResellerCreated.schema>;

/**
 * identity.reseller.created.v1 / identity.reseller.updated.v1: keeps the local facts catalog needs
 * (allowCustomProducts, status). Both carry the full profile; an older profile never overwrites a newer one.
 */
export const resellerProfileHandler: EventHandler = async (tx, event) => {
  const data = event.data as Profile;
  if (data.resellerId !== event.tenantId)
    throw new PermanentEventError('a reseller profile must be published in the reseller’s own tenant');
  await upsertReseller(
    tx,
    tenantScope(event.tenantId),
    {
      tenantId: data.resellerId,
      slug: data.slug,
      allowCustomProducts: data.allowCustomProducts,
      status: data.status,
    },
    event.time,
  );
};
