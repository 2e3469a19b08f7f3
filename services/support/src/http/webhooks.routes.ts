import {
  WebhookDeliveryPage,
  WebhookEndpointList,
  WebhookEndpointView,
  WebhookEndpointWithSecret,
} from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { webhookNotFound } from '../domain/errors';
import { DeliveryQuery, WebhookInput, WebhookPatch } from '../domain/inputs';
import { type WebhooksService } from '../domain/webhooks.service';
import { bodyOf, idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { deliveryView, webhookView } from './views';

/** A tenant's webhook endpoints (staff): register, change, rotate the secret, delete, read deliveries. */
export function webhooksRoutes(deps: { webhooks: WebhooksService }) {
  const { webhooks } = deps;
  const routes = createRoutes();
  const id = (req: Parameters<typeof idOf>[0]) => idOf(req, webhookNotFound);

  routes.get(
    '/v1/support/webhooks',
    STAFF,
    {
      summary: 'This tenant’s webhook endpoints',
      query: TenantQuery,
      responses: { 200: WebhookEndpointList },
    },
    async (req, res, auth) => {
      res.json({ items: (await webhooks.list(auth, tenantOf(req))).map(webhookView) });
    },
  );
  routes.post(
    '/v1/support/webhooks',
    STAFF,
    {
      summary: 'Register an HTTPS endpoint for event types (the signing secret is in this answer only)',
      query: TenantQuery,
      body: WebhookInput,
      responses: { 201: WebhookEndpointWithSecret },
    },
    async (req, res, auth) => {
      const r = await webhooks.create(auth, bodyOf(req, WebhookInput), tenantOf(req));
      res.status(201).json({ endpoint: webhookView(r.endpoint), secret: r.secret });
    },
  );
  routes.get(
    '/v1/support/webhooks/:id',
    STAFF,
    { summary: 'A webhook endpoint', query: TenantQuery, responses: { 200: WebhookEndpointView } },
    async (req, res, auth) => {
      res.json(webhookView(await webhooks.get(auth, id(req), tenantOf(req))));
    },
  );
  routes.patch(
    '/v1/support/webhooks/:id',
    STAFF,
    {
      summary: 'Change an endpoint (URL, event types) or enable/disable it (enabling forgets past failures)',
      query: TenantQuery,
      body: WebhookPatch,
      responses: { 200: WebhookEndpointView },
    },
    async (req, res, auth) => {
      const patch = bodyOf(req, WebhookPatch);
      res.json(webhookView(await webhooks.update(auth, id(req), patch, tenantOf(req))));
    },
  );
  routes.post(
    '/v1/support/webhooks/:id/rotate-secret',
    STAFF,
    {
      summary: 'A new signing secret; the previous one also signs for a day',
      query: TenantQuery,
      responses: { 200: WebhookEndpointWithSecret },
    },
    async (req, res, auth) => {
      const r = await webhooks.rotateSecret(auth, id(req), tenantOf(req));
      res.json({ endpoint: webhookView(r.endpoint), secret: r.secret });
    },
  );
  routes.delete(
    '/v1/support/webhooks/:id',
    STAFF,
    { summary: 'Delete an endpoint and its delivery log', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await webhooks.remove(auth, id(req), tenantOf(req));
      res.status(204).end();
    },
  );
  routes.get(
    '/v1/support/webhooks/:id/deliveries',
    STAFF,
    {
      summary: 'An endpoint’s deliveries, newest first (attempts, last status, errors)',
      query: DeliveryQuery,
      responses: { 200: WebhookDeliveryPage },
    },
    async (req, res, auth) => {
      const q = queryOf(req, DeliveryQuery);
      const page = await webhooks.deliveries(auth, id(req), q);
      res.json({ items: page.items.map(deliveryView), nextCursor: page.nextCursor });
    },
  );
  return routes;
}
