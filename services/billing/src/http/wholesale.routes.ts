import { InvoiceView, PaymentView, StripePaymentIntentView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { z } from 'zod';
import { invoiceNotFound } from '../domain/errors';
import { ApplyCreditInput } from '../domain/inputs';
import { type InvoicesService } from '../domain/invoices.service';
import { type BillingRuns } from '../domain/lifecycle-jobs.service';
import { type StripeService } from '../domain/stripe.service';
import { type Wholesale } from '../domain/wholesale.service';
import { bodyOf, idempotencyKeyOf, idOf, queryOf, sendAnswer } from './request';

const Minor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Day = z.iso.date();

export const WholesaleInvoiceView = InvoiceView.extend({
  resellerId: z.uuid().describe('The reseller billed (its tenant; a client of the platform)'),
  charges: z.array(
    z.object({
      kind: z
        .enum(['charge', 'credit', 'change'])
        .describe(
          'credit: the unused days of a charged period whose service ended early (a negative price); ' +
            'change: the service’s package changed within a charged period, the wholesale difference for ' +
            'its unused days (negative: a credit)',
        ),
      serviceId: z.uuid().describe('The reseller’s client service this charge is for'),
      productId: z.uuid().nullable().describe('The platform’s product; null for a domain'),
      description: z.string(),
      cycle: z.string(),
      quantity: z.number().int().min(1),
      periodStart: Day,
      periodEnd: Day.nullable(),
      wholesalePrice: z
        .number()
        .int()
        .min(-Number.MAX_SAFE_INTEGER)
        .max(Number.MAX_SAFE_INTEGER)
        .describe('The platform’s wholesale price for the period × quantity (negative for a credit)'),
      wholesaleSetupFee: Minor.describe('The wholesale setup fee (a first period only)'),
      credit: z
        .object({
          endedOn: Day.describe('The day the service ended (cancelled now, or terminated)'),
          unusedDays: z.number().int().min(1),
          periodDays: z.number().int().min(1),
          creditNote: z
            .string()
            .nullable()
            .describe('The credit note that settled it; null: netted on its charge’s invoice line'),
        })
        .optional(),
      change: z
        .object({
          changedOn: Day.describe('The day the change of package applied (the first of its unused days)'),
          unusedDays: z.number().int().min(1),
          periodDays: z.number().int().min(1),
          wholesaleFrom: Minor.describe('The wholesale per period × quantity before the change'),
          wholesaleTo: Minor.describe('The wholesale per period × quantity after the change'),
          creditNote: z
            .string()
            .nullable()
            .describe('The credit note that settled a credit; null: on a consolidated invoice’s line'),
        })
        .optional(),
    }),
  ),
});

const WholesaleInvoiceList = z.object({ items: z.array(WholesaleInvoiceView) });
const ListQuery = z.object({ resellerId: z.uuid().optional() }).strict();
const NoQuery = z.object({}).strict();

export const WholesalePolicyInput = z
  .object({
    unpaidAction: z
      .enum(['remind', 'suspend'])
      .describe('remind: reminders only (the default); suspend: also suspend the reseller’s resold services'),
    suspendAfterDays: z.number().int().min(1).max(365).default(14),
  })
  .strict();
const WholesalePolicyView = z.object({
  unpaidAction: z.enum(['remind', 'suspend']),
  suspendAfterDays: z.number().int(),
});

export const BillingRunInput = z
  .object({
    advanceDays: z
      .number()
      .int()
      .min(1)
      .max(400)
      .optional()
      .describe('Embedded demo only: move billing’s clock this many days forward first (422 in production)'),
  })
  .strict();
const Count = z.number().int().min(0);
const BillingRunView = z.object({
  asOf: Day.describe('Billing’s date the run ran as of'),
  clockOffsetDays: z.number().int(),
  renewals: Count,
  dunning: z.record(z.string(), Count),
  wholesale: z.record(z.string(), Count),
});

/**
 * The reseller wholesale economy (a reseller its own invoices from the platform, the platform's staff all
 * of them; clients none) and the staff's "run the nightly lifecycle now".
 */
export function wholesaleRoutes(deps: {
  wholesale: Wholesale;
  runs: BillingRuns;
  stripe: StripeService;
  invoices: InvoicesService;
}) {
  const { wholesale, runs, stripe, invoices } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/wholesale/invoices',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'The platform’s wholesale invoices (a reseller: its own; an admin: all, or ?resellerId=)',
      query: ListQuery,
      responses: { 200: WholesaleInvoiceList },
    },
    async (req, res, auth) => {
      res.json(await wholesale.list(auth, queryOf(req, ListQuery)));
    },
  );
  routes.get(
    '/v1/wholesale/invoices/:id',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'A wholesale invoice with the services and periods it charges',
      query: NoQuery,
      responses: { 200: WholesaleInvoiceView },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      res.json(await wholesale.get(auth, idOf(req, invoiceNotFound)));
    },
  );
  routes.get(
    '/v1/wholesale/invoices/:id/pdf',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'A wholesale invoice as a PDF in the platform’s brand (application/pdf)',
      query: NoQuery,
      responses: { 200: null },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      const { number, pdf } = await wholesale.pdf(auth, idOf(req, invoiceNotFound), invoices);
      res
        .status(200)
        .set({
          'content-type': 'application/pdf',
          'content-length': String(pdf.length),
          'content-disposition': `attachment; filename="${number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf"`,
          'x-content-type-options': 'nosniff',
          'cache-control': 'private, no-store',
        })
        .end(pdf);
    },
  );
  routes.post(
    '/v1/wholesale/invoices/:id/apply-credit',
    { roles: ['admin', 'reseller'] },
    {
      summary:
        'Pay a wholesale invoice from the reseller’s balance at the platform (Idempotency-Key honoured)',
      query: NoQuery,
      body: ApplyCreditInput,
      responses: { 201: z.object({ payment: PaymentView, invoice: WholesaleInvoiceView }) },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      const id = idOf(req, invoiceNotFound);
      const input = bodyOf(req, ApplyCreditInput);
      sendAnswer(res, await wholesale.applyCredit(auth, id, input, idempotencyKeyOf(req)));
    },
  );
  routes.post(
    '/v1/wholesale/invoices/:id/stripe-payment-intent',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Pay a wholesale invoice by card: a PaymentIntent on the platform’s Stripe account',
      query: NoQuery,
      responses: { 201: StripePaymentIntentView },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      const id = idOf(req, invoiceNotFound);
      sendAnswer(res, await wholesale.cardPayment(auth, id, idempotencyKeyOf(req), stripe));
    },
  );
  routes.get(
    '/v1/wholesale/balance',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'The reseller’s account credit at the platform (a reseller: its own; an admin: ?resellerId=)',
      query: ListQuery,
      responses: {
        200: z.object({
          resellerId: z.uuid(),
          balances: z.array(z.object({ currency: z.string(), amount: z.number().int() })),
        }),
      },
    },
    async (req, res, auth) => {
      res.json(await wholesale.balance(auth, queryOf(req, ListQuery)));
    },
  );
  routes.get(
    '/v1/wholesale/policy',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'The platform’s policy for unpaid wholesale invoices',
      query: NoQuery,
      responses: { 200: WholesalePolicyView },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      res.json(await wholesale.policy(auth));
    },
  );
  routes.put(
    '/v1/wholesale/policy',
    { roles: ['admin'] },
    {
      summary: 'Set the platform’s policy for unpaid wholesale invoices (the platform’s staff)',
      query: NoQuery,
      body: WholesalePolicyInput,
      responses: { 200: WholesalePolicyView },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      res.json(await wholesale.setPolicy(auth, bodyOf(req, WholesalePolicyInput)));
    },
  );
  routes.post(
    '/v1/billing-runs',
    { roles: ['admin'] },
    {
      summary: 'Run the nightly lifecycle now (renewals, dunning, wholesale) as of billing’s clock',
      query: NoQuery,
      body: BillingRunInput,
      responses: { 200: BillingRunView },
    },
    async (req, res, auth) => {
      queryOf(req, NoQuery);
      res.json(await runs.run(auth, bodyOf(req, BillingRunInput)));
    },
  );
  return routes;
}
