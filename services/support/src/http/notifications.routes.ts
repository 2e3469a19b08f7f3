import {
  MailLogPage,
  NotificationTemplateList,
  NotificationTemplateView,
  RenderedMailView,
} from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { type Request } from 'express';
import { templateNotFound } from '../domain/errors';
import { MailLogQuery, PreviewInput, TemplateInput } from '../domain/inputs';
import { LANGUAGES, type MailLanguage } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';
import { bodyOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';
import { mailView } from './views';

/** A tenant's notification templates (staff): read, override per language, reset, preview; its mail log. */
export function notificationsRoutes(deps: { notifications: NotificationsService }) {
  const { notifications } = deps;
  const routes = createRoutes();
  const key = (req: Request) => String(req.params.key);
  const language = (req: Request): MailLanguage => {
    const l = String(req.params.language);
    if (!(LANGUAGES as readonly string[]).includes(l)) throw templateNotFound();
    return l as MailLanguage;
  };
  const one = '/v1/support/notification-templates/:key/:language';

  routes.get(
    '/v1/support/notification-templates',
    STAFF,
    {
      summary: 'Notification templates, their variables and the languages this tenant overrides',
      query: TenantQuery,
      responses: { 200: NotificationTemplateList },
    },
    async (req, res, auth) => {
      res.json({ items: await notifications.listTemplates(auth, tenantOf(req)) });
    },
  );
  routes.get(
    one,
    STAFF,
    {
      summary: 'A template in one language as this tenant sends it (its override or the default)',
      query: TenantQuery,
      responses: { 200: NotificationTemplateView },
    },
    async (req, res, auth) => {
      const t = await notifications.getTemplate(auth, key(req), language(req), tenantOf(req));
      res.json({
        key: t.key,
        language: t.language,
        overridden: t.overridden,
        subject: t.subject,
        html: t.html,
        text: t.text,
      });
    },
  );
  routes.put(
    one,
    STAFF,
    {
      summary: 'Override a template in one language ({{variable}} placeholders only; values are escaped)',
      query: TenantQuery,
      body: TemplateInput,
      responses: { 200: NotificationTemplateView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, TemplateInput);
      const o = await notifications.saveTemplate(auth, key(req), language(req), input, tenantOf(req));
      res.json({
        key: o.template,
        language: o.language,
        overridden: true,
        subject: o.subject,
        html: o.html,
        text: o.text,
      });
    },
  );
  routes.delete(
    one,
    STAFF,
    { summary: 'Drop an override (back to the default text)', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await notifications.resetTemplate(auth, key(req), language(req), tenantOf(req));
      res.status(204).end();
    },
  );
  routes.post(
    `${one}/preview`,
    STAFF,
    {
      summary:
        'Render a template (the text given, or the one in use) with sample data in this tenant’s brand',
      query: TenantQuery,
      body: PreviewInput,
      responses: { 200: RenderedMailView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, PreviewInput);
      res.json(await notifications.preview(auth, key(req), language(req), input, tenantOf(req)));
    },
  );
  routes.get(
    '/v1/support/mail-log',
    STAFF,
    {
      summary: 'Mails of this tenant, newest first (filter by client and status)',
      query: MailLogQuery,
      responses: { 200: MailLogPage },
    },
    async (req, res, auth) => {
      const q = queryOf(req, MailLogQuery);
      const page = await notifications.mailLog(auth, q);
      res.json({ items: page.items.map(mailView), nextCursor: page.nextCursor });
    },
  );
  return routes;
}
