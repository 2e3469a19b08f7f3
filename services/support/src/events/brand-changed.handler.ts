import { type ResellerUpdated, type SettingsChanged } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { markBrandStale } from '../store/mail.store';

/** Settings whose change alters a brand (identity's brand route reads them). */
const BRAND_KEYS = /^(branding\.|general\.supportEmail$|general\.companyName$)/;

/**
 * identity.settings.changed.v1 (branding keys) and identity.reseller.updated.v1: the tenant's kept brand
 * goes stale, so its next mail asks identity again. Only a flag: the values come from identity's route.
 */
export function brandChangedHandler(): EventHandler {
  return async (tx, event) => {
    if (event.type === 'identity.settings.changed.v1') {
      const data = event.data as z.infer<typeof SettingsChanged.schema>;
      if (!data.keys.some((k) => BRAND_KEYS.test(k))) return;
    } else {
      const data = event.data as z.infer<typeof ResellerUpdated.schema>;
      if (data.resellerId !== event.tenantId) return;
    }
    await markBrandStale(tx, tenantScope(event.tenantId));
  };
}
