import { DomainPriceList } from '@geminis/contracts';
import { createRoutes, NotFoundError } from '@geminis/service-kit';
import { z } from 'zod';
import { type DomainPricingService } from '../domain/domain-pricing.service';
import { CurrencyCode, Tld, TldPricesBody } from '../domain/inputs';
import { bodyOf, queryOf, TenantQuery, tenantOf } from './request';
import { domainPriceView } from './views';

const ListQuery = z
  .object({ tenantId: z.uuid().optional(), currency: CurrencyCode.optional(), tld: Tld.optional() })
  .strict();

const tldOf = (raw: string | string[] | undefined) => {
  const r = Tld.safeParse(raw);
  if (!r.success) throw new NotFoundError('catalog.tld_not_found', 'no pricing for this TLD');
  return r.data;
};

/** Domain pricing per TLD (`/v1/domain-pricing/.com`). */
export function domainPricingRoutes(deps: { domainPricing: DomainPricingService }) {
  const routes = createRoutes();
  routes.get(
    '/v1/domain-pricing',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Domain prices per TLD, currency and term',
      query: ListQuery,
      responses: { 200: DomainPriceList },
    },
    async (req, res, auth) => {
      const q = queryOf(req, ListQuery);
      res.json({ items: (await deps.domainPricing.list(auth, q)).map(domainPriceView) });
    },
  );
  routes.put(
    '/v1/domain-pricing/:tld',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Set the prices of a TLD',
      query: TenantQuery,
      body: TldPricesBody,
      responses: { 200: DomainPriceList },
    },
    async (req, res, auth) => {
      const tld = tldOf(req.params.tld);
      const { prices } = bodyOf(req, TldPricesBody);
      const items = await deps.domainPricing.setTld(auth, tld, prices, tenantOf(req));
      res.json({ items: items.map(domainPriceView) });
    },
  );
  routes.delete(
    '/v1/domain-pricing/:tld',
    { roles: ['admin', 'reseller'] },
    { summary: 'Stop selling a TLD', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await deps.domainPricing.deleteTld(auth, tldOf(req.params.tld), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
