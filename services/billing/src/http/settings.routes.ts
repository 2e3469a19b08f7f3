import { BillingSettingsView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { SettingsInput } from '../domain/inputs';
import { type SettingsService } from '../domain/settings.service';
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
  return routes;
}
