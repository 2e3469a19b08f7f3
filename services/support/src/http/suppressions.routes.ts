import { MailSuppressionPage } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type BouncesService } from '../domain/bounces.service';
import { suppressionNotFound } from '../domain/errors';
import { SuppressionQuery } from '../domain/inputs';
import { idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { suppressionView } from './views';

/** Addresses a tenant no longer mails because they bounced for good (staff): list, and lift one. */
export function suppressionsRoutes(deps: { bounces: BouncesService }) {
  const routes = createRoutes();
  routes.get(
    '/v1/support/mail-suppressions',
    STAFF,
    {
      summary: 'Addresses this tenant no longer mails (hard bounces), newest first',
      query: SuppressionQuery,
      responses: { 200: MailSuppressionPage },
    },
    async (req, res, auth) => {
      const page = await deps.bounces.list(auth, queryOf(req, SuppressionQuery));
      res.json({ items: page.items.map(suppressionView), nextCursor: page.nextCursor });
    },
  );
  routes.delete(
    '/v1/support/mail-suppressions/:id',
    STAFF,
    {
      summary: 'Lift a suppression: mail to the address is sent again',
      query: TenantQuery,
      responses: { 204: null },
    },
    async (req, res, auth) => {
      await deps.bounces.lift(auth, idOf(req, suppressionNotFound), tenantOf(req));
      res.status(204).end();
    },
  );
  return routes;
}
