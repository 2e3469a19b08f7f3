import { StorefrontDomains, StorefrontProducts } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { z } from 'zod';
import { tenantNotFound } from '../domain/errors';
import { CurrencyCode } from '../domain/inputs';
import { type StorefrontService } from '../domain/storefront.service';
import { idOf, queryOf } from './request';

/**
 * Public storefront. The gateway resolves the tenant from the Host and forwards
 * `/v1/storefront/<path>` as `/v1/storefront/<tenantId>/<path>`; nothing here trusts a header. The data is
 * public anyway, and an unknown or suspended tenant is a 404 like any missing storefront.
 */
export function storefrontRoutes(deps: { storefront: StorefrontService; defaultCurrency: string }) {
  const Query = z.object({ currency: CurrencyCode.default(deps.defaultCurrency) }).strict();
  const routes = createRoutes();
  routes.get(
    '/v1/storefront/:id/products',
    { public: true },
    {
      summary: 'The storefront’s visible products with prices',
      query: Query,
      responses: { 200: StorefrontProducts },
    },
    async (req, res) => {
      const tenantId = idOf(req, tenantNotFound);
      const { currency } = queryOf(req, Query);
      res.json(await deps.storefront.products(tenantId, currency));
    },
  );
  routes.get(
    '/v1/storefront/:id/domains',
    { public: true },
    { summary: 'The storefront’s domain prices', query: Query, responses: { 200: StorefrontDomains } },
    async (req, res) => {
      const tenantId = idOf(req, tenantNotFound);
      const { currency } = queryOf(req, Query);
      res.json(await deps.storefront.domains(tenantId, currency));
    },
  );
  return routes;
}
