import { createRoutes } from '@geminis/service-kit';
import { z } from 'zod';
import { clientNotFound } from '../domain/errors';
import { TaxProfileInput, TaxRulesInput } from '../domain/inputs';
import { type TaxesService } from '../domain/taxes.service';
import { bodyOf, idOf, TenantQuery, tenantOf } from './request';

const STAFF = { roles: ['admin', 'reseller'] as const };

const TaxRulesView = z.object({
  tenantId: z.uuid(),
  rules: z.array(
    z.object({
      country: z.string(),
      region: z.string().describe("'' for the whole country"),
      name: z.string(),
      rateBps: z.number().int(),
    }),
  ),
});
const TaxProfileView = z.object({
  clientId: z.uuid(),
  country: z.string().nullable(),
  region: z.string().nullable(),
  vatId: z.string().nullable(),
  taxExempt: z.boolean(),
  viesChecked: z
    .boolean()
    .describe('The VAT id was confirmed by the live VIES check (false: check off, VIES down, or no id)'),
});

/** Taxes by country: the tenant's rules and each client's tax profile (staff of the tenant). */
export function taxesRoutes(deps: { taxes: TaxesService }) {
  const { taxes } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/billing-settings/tax-rules',
    STAFF,
    {
      summary: "The tenant's tax rates by country and region",
      query: TenantQuery,
      responses: { 200: TaxRulesView },
    },
    async (req, res, auth) => {
      res.json(await taxes.rules(auth, tenantOf(req)));
    },
  );
  routes.put(
    '/v1/billing-settings/tax-rules',
    STAFF,
    {
      summary: "Replace the tenant's tax rates by country and region (new invoices only)",
      query: TenantQuery,
      body: TaxRulesInput,
      responses: { 200: TaxRulesView },
    },
    async (req, res, auth) => {
      res.json(await taxes.replaceRules(auth, bodyOf(req, TaxRulesInput), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/billing-settings/clients/:id/tax-profile',
    STAFF,
    {
      summary: "A client's tax profile: country, region, VAT id, exemption",
      query: TenantQuery,
      responses: { 200: TaxProfileView },
    },
    async (req, res, auth) => {
      res.json(await taxes.profile(auth, idOf(req, clientNotFound), tenantOf(req)));
    },
  );
  routes.put(
    '/v1/billing-settings/clients/:id/tax-profile',
    STAFF,
    {
      summary: "Set a client's tax profile (its next invoices are taxed by it)",
      query: TenantQuery,
      body: TaxProfileInput,
      responses: { 200: TaxProfileView },
    },
    async (req, res, auth) => {
      const id = idOf(req, clientNotFound);
      res.json(await taxes.saveProfile(auth, id, bodyOf(req, TaxProfileInput), tenantOf(req)));
    },
  );
  return routes;
}
