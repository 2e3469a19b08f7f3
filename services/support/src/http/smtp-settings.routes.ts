import { SmtpSettingsView, SmtpTestResult } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { SmtpSettingsInput } from '../domain/inputs';
import { type SmtpSettingsService, type SmtpSettingsView as View } from '../domain/smtp-settings.service';
import { bodyOf, STAFF, TenantQuery, tenantOf } from './request';

const view = (s: View): SmtpSettingsView => ({
  tenantId: s.tenantId,
  host: s.host,
  port: s.port,
  security: s.security,
  username: s.username,
  passwordSet: s.passwordSet,
  updatedAt: s.updatedAt.toISOString(),
  lastTestAt: s.lastTestAt?.toISOString() ?? null,
  lastTestOk: s.lastTestOk,
  lastTestError: s.lastTestError,
});

/** The tenant's own SMTP server (staff): read (never the password), set, test, remove. */
export function smtpSettingsRoutes(deps: { smtpSettings: SmtpSettingsService }) {
  const { smtpSettings } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/support/smtp-settings',
    STAFF,
    {
      summary: 'This tenant’s own SMTP server (404: its mail goes through the platform’s)',
      query: TenantQuery,
      responses: { 200: SmtpSettingsView },
    },
    async (req, res, auth) => {
      res.json(view(await smtpSettings.get(auth, tenantOf(req))));
    },
  );
  routes.put(
    '/v1/support/smtp-settings',
    STAFF,
    {
      summary: 'Send this tenant’s mail through its own SMTP server (the password is stored encrypted)',
      query: TenantQuery,
      body: SmtpSettingsInput,
      responses: { 200: SmtpSettingsView },
    },
    async (req, res, auth) => {
      res.json(view(await smtpSettings.put(auth, bodyOf(req, SmtpSettingsInput), tenantOf(req))));
    },
  );
  routes.post(
    '/v1/support/smtp-settings/test',
    STAFF,
    {
      summary: 'Connect and authenticate to the tenant’s SMTP server (nothing is sent)',
      query: TenantQuery,
      responses: { 200: SmtpTestResult },
    },
    async (req, res, auth) => {
      res.json(await smtpSettings.test(auth, tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/support/smtp-settings',
    STAFF,
    {
      summary: 'Send this tenant’s mail through the platform’s server again',
      query: TenantQuery,
      responses: { 204: null },
    },
    async (req, res, auth) => {
      await smtpSettings.remove(auth, tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
