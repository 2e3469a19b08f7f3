import { StripeGatewayView, StripePaymentIntentView, WebhookAck } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { invoiceNotFound, webhookNotFound } from '../domain/errors';
import { StripeGatewayInput } from '../domain/inputs';
import { type StripeService } from '../domain/stripe.service';
import { bodyOf, idempotencyKeyOf, idOf, sendAnswer, TenantQuery, tenantOf } from './request';

const STAFF = { roles: ['admin', 'reseller'] as const };

/** The path whose bodies must reach the handler as raw bytes (the signature is over them). */
export const STRIPE_WEBHOOK_PATHS = ['/v1/callbacks/payments/stripe/*'];

/** Each tenant's Stripe account, card payments of invoices, and Stripe's signed webhook. */
export function stripeRoutes(deps: { stripe: StripeService }) {
  const { stripe } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/payment-gateways/stripe',
    STAFF,
    {
      summary: 'The tenant’s Stripe account (never its secrets)',
      query: TenantQuery,
      responses: { 200: StripeGatewayView },
    },
    async (req, res, auth) => {
      res.json(await stripe.gateway(auth, tenantOf(req)));
    },
  );
  routes.put(
    '/v1/payment-gateways/stripe',
    STAFF,
    {
      summary: 'Set the tenant’s own Stripe keys (sealed at rest)',
      query: TenantQuery,
      body: StripeGatewayInput,
      responses: { 200: StripeGatewayView },
    },
    async (req, res, auth) => {
      res.json(await stripe.configure(auth, bodyOf(req, StripeGatewayInput), tenantOf(req)));
    },
  );
  routes.post(
    '/v1/invoices/:id/stripe-payment-intent',
    { authenticated: true },
    {
      summary: 'Start a card payment of what the invoice owes (Idempotency-Key honoured)',
      query: TenantQuery,
      responses: { 201: StripePaymentIntentView },
    },
    async (req, res, auth) => {
      const id = idOf(req, invoiceNotFound);
      sendAnswer(res, await stripe.createIntent(auth, id, idempotencyKeyOf(req), tenantOf(req)));
    },
  );
  // Public on purpose: Stripe calls it, and the signature (the tenant's webhook secret) authenticates it.
  routes.post(
    '/v1/callbacks/payments/stripe/:tenantId',
    { public: true },
    { summary: 'Stripe webhook of a tenant (signed; raw body)', responses: { 200: WebhookAck } },
    async (req, res) => {
      const tenantId = idOf(req, webhookNotFound, 'tenantId');
      const header = req.headers['stripe-signature'];
      res.json(await stripe.webhook(tenantId, req.body, typeof header === 'string' ? header : undefined));
    },
  );
  return routes;
}
