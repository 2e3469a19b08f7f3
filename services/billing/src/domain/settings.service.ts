import { type BillingSettingsView } from '@geminis/contracts';
import { tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import { getSettings, saveSettings } from '../store/settings.store';
import { staffTenantOf } from './context';
import { type SettingsInput } from './inputs';

/** Per-tenant billing settings (tax, invoice numbering, due days): staff of the tenant; admins name one. */
export function createSettingsService(deps: { db: Database }) {
  const { db } = deps;
  return {
    async get(auth: AuthContext, tenantId?: string): Promise<BillingSettingsView> {
      const owner = staffTenantOf(auth, tenantId);
      const settings = await db.withTenant(tenantScope(owner), (tx) => getSettings(tx, owner));
      return { tenantId: owner, ...settings };
    },
    async update(auth: AuthContext, patch: SettingsInput, tenantId?: string): Promise<BillingSettingsView> {
      const owner = staffTenantOf(auth, tenantId);
      const settings = await db.withTenant(tenantScope(owner), async (tx) => {
        const next = { ...(await getSettings(tx, owner)), ...patch };
        await saveSettings(tx, owner, next);
        return next;
      });
      return { tenantId: owner, ...settings };
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
