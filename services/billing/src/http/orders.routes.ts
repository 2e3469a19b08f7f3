import { OrderList, OrderView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { orderNotFound } from '../domain/errors';
import { OrderInput } from '../domain/inputs';
import { type OrdersService } from '../domain/orders.service';
import { orderView } from '../domain/views';
import { bodyOf, idempotencyKeyOf, idOf, sendAnswer, TenantQuery, tenantOf, tokenOf } from './request';

/** Orders: a client orders for itself, staff for a client of their tenant (Idempotency-Key honoured). */
export function ordersRoutes(deps: { orders: OrdersService }) {
  const { orders } = deps;
  const routes = createRoutes();
  routes.post(
    '/v1/orders',
    { authenticated: true },
    {
      summary: 'Place an order (priced by catalog’s quote; first invoice issued)',
      body: OrderInput,
      responses: { 201: OrderView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, OrderInput);
      sendAnswer(res, await orders.place(auth, tokenOf(req), input, idempotencyKeyOf(req)));
    },
  );
  routes.get(
    '/v1/orders',
    { authenticated: true },
    { summary: 'List orders', query: TenantQuery, responses: { 200: OrderList } },
    async (req, res, auth) => {
      res.json({ items: (await orders.list(auth, tenantOf(req))).map(orderView) });
    },
  );
  routes.get(
    '/v1/orders/:id',
    { authenticated: true },
    { summary: 'An order with its quote snapshot', query: TenantQuery, responses: { 200: OrderView } },
    async (req, res, auth) => {
      res.json(orderView(await orders.get(auth, idOf(req, orderNotFound), tenantOf(req))));
    },
  );
  routes.post(
    '/v1/orders/:id/cancel',
    { authenticated: true },
    {
      summary: 'Cancel a pending order (its unpaid invoice and services; the promotion use is released)',
      query: TenantQuery,
      responses: { 200: OrderView },
    },
    async (req, res, auth) => {
      res.json(orderView(await orders.cancel(auth, idOf(req, orderNotFound), tenantOf(req))));
    },
  );
  return routes;
}
