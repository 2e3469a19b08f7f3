import { createRoutes } from '@geminis/service-kit';
import { z } from 'zod';
import { type Reports } from '../domain/reports.service';
import { queryOf } from './request';

const Minor = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);
const Day = z.iso.date();

export const ReportQuery = z
  .object({
    from: Day.describe('First day of the period (inclusive)'),
    to: Day.describe('Day after the period (exclusive)'),
    tenantId: z.uuid().optional(),
  })
  .strict();

export const BillingReportView = z.object({
  tenantId: z.uuid(),
  from: Day,
  to: Day,
  asOf: Day.describe('The day outstanding amounts are aged on'),
  currencies: z.array(
    z.object({
      currency: z.string(),
      collected: Minor.describe(
        'Received in the period (gateways and manual payments; not account credit spent)',
      ),
      credited: Minor.describe('Credit notes issued in the period'),
      net: Minor.describe('collected − credited'),
      mrr: Minor.describe(
        'Monthly recurring revenue of active services and their add-ons, rounded half-up once',
      ),
      outstanding: z
        .object({
          current: Minor,
          days1to30: Minor,
          days31to60: Minor,
          days61to90: Minor,
          over90: Minor,
        })
        .describe('Open invoices’ balances by days past their due date'),
    }),
  ),
  margin: z
    .array(
      z.object({
        currency: z.string(),
        retail: Minor.describe('What its clients were invoiced for the periods of its resold services'),
        wholesale: Minor.describe('What the platform billed it for the same periods (price and setup)'),
        margin: Minor.describe('retail − wholesale'),
      }),
    )
    .nullable()
    .describe(
      'A reseller’s margin per currency over the periods of its resold services that started in the period; null for the platform',
    ),
});

/** A tenant's billing report (staff): revenue of a period, MRR, outstanding by age; per currency. */
export function reportsRoutes(deps: { reports: Reports }) {
  const routes = createRoutes();
  routes.get(
    '/v1/billing-reports/summary',
    { roles: ['admin', 'reseller'] },
    {
      summary:
        'Revenue of a period, MRR, outstanding by age and (a reseller) margin, per currency, for the tenant',
      query: ReportQuery,
      responses: { 200: BillingReportView },
    },
    async (req, res, auth) => {
      res.json(await deps.reports.summary(auth, queryOf(req, ReportQuery)));
    },
  );
  return routes;
}
