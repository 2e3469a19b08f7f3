import { BillingSettingsView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { LifecycleSettingsInput, SettingsInput } from '../domain/inputs';
import { type SettingsService } from '../domain/settings.service';
import { LifecycleSettingsView } from './lifecycle.schemas';
import { bodyOf, TenantQuery, tenantOf } from './request';

const STAFF = { roles: ['admin', 'reseller'] as const };

/** A tenant's billing settings: tax rate and name, invoice numbering, due days. */
export function settingsRoutes(deps: { settings: SettingsService }) {
  const { settings } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/billing-settings',
    STAFF,
    {
      summary: 'Billing settings of the tenant',
      query: TenantQuery,
      responses: { 200: BillingSettingsView },
    },
    async (req, res, auth) => {
      res.json(await settings.get(auth, tenantOf(req)));
    },
  );
  routes.patch(
    '/v1/billing-settings',
    STAFF,
    {
      summary: 'Change billing settings of the tenant',
      query: TenantQuery,
      body: SettingsInput,
      responses: { 200: BillingSettingsView },
    },
    async (req, res, auth) => {
      res.json(await settings.update(auth, bodyOf(req, SettingsInput), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/billing-settings/lifecycle',
    STAFF,
    {
      summary: 'Renewal and dunning settings of the tenant',
      query: TenantQuery,
      responses: { 200: LifecycleSettingsView },
    },
    async (req, res, auth) => {
      res.json(await settings.getLifecycle(auth, tenantOf(req)));
    },
  );
  routes.patch(
    '/v1/billing-settings/lifecycle',
    STAFF,
    {
      summary: 'Change renewal lead days, suspension and termination delays of the tenant',
      query: TenantQuery,
      body: LifecycleSettingsInput,
      responses: { 200: LifecycleSettingsView },
    },
    async (req, res, auth) => {
      res.json(await settings.updateLifecycle(auth, bodyOf(req, LifecycleSettingsInput), tenantOf(req)));
    },
  );
  return routes;
}
