/**
 * The services `npm start` runs, in start order (identity first: the others verify its tokens), each
 * loaded lazily from its entry. The names and ports come from the one service list
 * (packages/contracts/src/services.ts); a service appears here once it exists.
 */
import { type ServiceName } from '@geminis/contracts';
import { type AnyServiceEntry } from '@geminis/service-kit';

export const SERVICE_ENTRIES: Partial<Record<ServiceName, () => Promise<AnyServiceEntry>>> = {
  identity: async () => (await import('../services/identity/src/entry')).identityEntry,
  catalog: async () => (await import('../services/catalog/src/entry')).catalogEntry,
  billing: async () => (await import('../services/billing/src/entry')).billingEntry,
  provisioning: async () => (await import('../services/provisioning/src/entry')).provisioningEntry,
  support: async () => (await import('../services/support/src/entry')).supportEntry,
};
