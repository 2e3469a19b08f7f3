import { createRoutes } from '@geminis/service-kit';
import { z } from 'zod';
import { type AutoCharge } from '../domain/auto-charge.service';
import { clientNotFound } from '../domain/errors';
import { PaymentMethodInput } from '../domain/inputs';
import { type SavedPaymentMethod } from '../store/auto-charge.store';
import { bodyOf, idOf, TenantQuery, tenantOf } from './request';

/** What anyone who may see the client sees of its saved card: references and display facts, never a number. */
export const PaymentMethodView = z.object({
  clientId: z.uuid(),
  provider: z.literal('stripe'),
  customerId: z.string(),
  paymentMethodId: z.string(),
  brand: z.string().nullable(),
  last4: z.string().nullable(),
  expMonth: z.number().int().nullable(),
  expYear: z.number().int().nullable(),
  updatedAt: z.iso.datetime(),
});

const view = (m: SavedPaymentMethod): z.infer<typeof PaymentMethodView> => ({
  clientId: m.clientId,
  provider: m.provider,
  customerId: m.customerRef,
  paymentMethodId: m.paymentMethodRef,
  brand: m.brand,
  last4: m.last4,
  expMonth: m.expMonth,
  expYear: m.expYear,
  updatedAt: m.updatedAt,
});

/** A client's saved Stripe card for automatic charges: the client itself, or staff of its tenant. */
export function paymentMethodsRoutes(deps: { autoCharge: AutoCharge }) {
  const { autoCharge } = deps;
  const routes = createRoutes();
  routes.get(
    '/v1/payment-methods/:clientId',
    { authenticated: true },
    {
      summary: 'The client’s saved card for automatic charges',
      query: TenantQuery,
      responses: { 200: PaymentMethodView },
    },
    async (req, res, auth) => {
      const clientId = idOf(req, clientNotFound, 'clientId');
      res.json(view(await autoCharge.getMethod(auth, clientId, tenantOf(req))));
    },
  );
  routes.put(
    '/v1/payment-methods/:clientId',
    { authenticated: true },
    {
      summary: 'Save the client’s Stripe card (by reference) for automatic charges on due dates',
      query: TenantQuery,
      body: PaymentMethodInput,
      responses: { 200: PaymentMethodView },
    },
    async (req, res, auth) => {
      const clientId = idOf(req, clientNotFound, 'clientId');
      const input = bodyOf(req, PaymentMethodInput);
      res.json(view(await autoCharge.saveMethod(auth, clientId, input, tenantOf(req))));
    },
  );
  routes.delete(
    '/v1/payment-methods/:clientId',
    { authenticated: true },
    { summary: 'Forget the client’s saved card', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await autoCharge.deleteMethod(auth, idOf(req, clientNotFound, 'clientId'), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
