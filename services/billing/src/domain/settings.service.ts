import { type BillingSettingsView } from '@geminis/contracts';
import { tenantScope, type AuthContext, type Database } from '@geminis/service-kit';
import {
  getLifecycleSettings,
  getSettings,
  saveLifecycleSettings,
  saveSettings,
} from '../store/settings.store';
import { staffTenantOf } from './context';
import { type LifecycleSettingsInput, type SettingsInput } from './inputs';

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
    /** Renewal lead days and dunning (suspension, termination) of the tenant. */
    async getLifecycle(auth: AuthContext, tenantId?: string) {
      const owner = staffTenantOf(auth, tenantId);
      const settings = await db.withTenant(tenantScope(owner), (tx) => getLifecycleSettings(tx, owner));
      return { tenantId: owner, ...settings };
    },
    async updateLifecycle(auth: AuthContext, patch: LifecycleSettingsInput, tenantId?: string) {
      const owner = staffTenantOf(auth, tenantId);
      const settings = await db.withTenant(tenantScope(owner), async (tx) => {
        const next = { ...(await getLifecycleSettings(tx, owner)), ...patch };
        await saveLifecycleSettings(tx, owner, next);
        return next;
      });
      return { tenantId: owner, ...settings };
    },
  };
}

export type SettingsService = ReturnType<typeof createSettingsService>;
