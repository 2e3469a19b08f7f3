import {
  ClientTenant,
  PasswordResetToken,
  Revocations,
  RevocationsQuery,
  TenantBrand,
  TenantByHost,
} from '@geminis/contracts';
import { createRoutes, NotFoundError, queryOf } from '@geminis/service-kit';
import { type ClientsService } from '../domain/clients.service';
import { PLATFORM_TENANT_ID } from '../domain/context';
import { type PasswordService } from '../domain/password.service';
import { type SettingsService } from '../domain/settings.service';
import { normaliseHost, type TenantsService } from '../domain/tenants.service';
import { idOf } from './request';

/**
 * Lookups the gateway makes before any token exists: public data only (brands and domains are public),
 * cacheable. And the one private answer, a live reset token for whoever emails the link: only with the
 * shared service key. The gateway never routes /internal, and network policy keeps it off the ingress.
 */
/**
 * GET /internal/v1/clients/:id (contracts' IDENTITY_INTERNAL.client, ClientTenant): whose client an id is
 * (catalog asks for a client it never heard of, e.g. created before it kept clients, or whose
 * identity.client.created.v1 was dead-lettered).
 */
const CLIENT_TENANT_PATH = '/internal/v1/clients/:id';

export function internalRoutes(deps: {
  clients: ClientsService;
  tenants: TenantsService;
  settings: SettingsService;
  passwords: PasswordService;
}) {
  const routes = createRoutes();
  const notFound = () => new NotFoundError('identity.tenant_not_found', 'no tenant for this host');

  routes.get(
    '/internal/v1/tenants/by-host/:host',
    { public: true },
    { summary: 'The tenant whose custom domain a host is', responses: { 200: TenantByHost } },
    async (req, res) => {
      const host = normaliseHost(String(req.params.host));
      const r = host ? await deps.tenants.byHost(host) : undefined;
      if (!r) throw notFound();
      res
        .set('cache-control', 'public, max-age=60')
        .json(TenantByHost.parse({ tenantId: r.id, slug: r.slug, brandName: r.brandName, status: r.status }));
    },
  );

  routes.get(
    '/internal/v1/tenants/:id/brand',
    { public: true },
    { summary: 'A tenant’s public brand', responses: { 200: TenantBrand } },
    async (req, res) => {
      const id = idOf(req, notFound);
      const values = await deps.settings.values(id === PLATFORM_TENANT_ID ? PLATFORM_TENANT_ID : id);
      const reseller = id === PLATFORM_TENANT_ID ? undefined : await deps.tenants.reseller(id);
      if (id !== PLATFORM_TENANT_ID && !reseller) throw notFound();
      res.set('cache-control', 'public, max-age=60').json(
        TenantBrand.parse({
          tenantId: id,
          brandName: reseller?.brandName ?? values['branding.companyName'],
          logoUrl: reseller ? reseller.logoUrl : (values['branding.logoUrl'] ?? null),
          supportEmail: reseller?.supportEmail ?? values['general.supportEmail'] ?? null,
          customDomains: reseller?.customDomains ?? [],
        }),
      );
    },
  );

  routes.get(
    '/internal/v1/tenants/:id/password-resets/:resetId',
    { service: true },
    { summary: 'The token of a live password reset', responses: { 200: PasswordResetToken } },
    async (req, res) => {
      const missing = () =>
        new NotFoundError('identity.reset_not_found', 'no live password reset with this id in this tenant');
      const tenantId = idOf(req, missing);
      const resetId = idOf(req, missing, 'resetId');
      const token = await deps.passwords.resetTokenFor(tenantId, resetId);
      if (!token) throw missing();
      res.set('cache-control', 'no-store').json(PasswordResetToken.parse({ resetId, token }));
    },
  );

  routes.get(
    '/internal/v1/revocations',
    { service: true },
    {
      summary: 'Users and resellers whose tokens were revoked since a time',
      query: RevocationsQuery,
      responses: { 200: Revocations },
    },
    async (req, res) => {
      const { since } = queryOf(req, RevocationsQuery);
      const items = await deps.tenants.revokedSince(new Date(since));
      res.set('cache-control', 'no-store').json(
        Revocations.parse({
          items: items.map((r) => ({ kind: r.kind, id: r.id, at: r.at.toISOString() })),
        }),
      );
    },
  );

  routes.get(
    CLIENT_TENANT_PATH,
    { service: true },
    { summary: 'The tenant and status of a client', responses: { 200: ClientTenant } },
    async (req, res) => {
      const missing = () => new NotFoundError('identity.client_not_found', 'client not found');
      const id = idOf(req, missing);
      const user = await deps.clients.lookup(id);
      if (!user) throw missing();
      res.set('cache-control', 'no-store').json(
        ClientTenant.parse({
          clientId: user.id,
          tenantId: user.tenantId,
          status: user.status,
          createdAt: user.createdAt,
        }),
      );
    },
  );

  return routes;
}
