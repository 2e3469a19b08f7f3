import {
  AuditLog,
  MaskedSecret,
  RecoveryCodes,
  RotatedSigningKey,
  SettingsList,
  SettingView,
  TotpEnrolment,
} from '@geminis/contracts';
import { createRoutes, NotFoundError, scopeFor } from '@geminis/service-kit';
import { z } from 'zod';
import { Password } from '../domain/accounts';
import { type AuditService } from '../domain/audit.service';
import { PLATFORM_TENANT_ID } from '../domain/context';
import { type KeysService } from '../domain/keys.service';
import { SETTINGS } from '../domain/settings';
import { type SettingsService } from '../domain/settings.service';
import { type TenantsService } from '../domain/tenants.service';
import { type TwoFactorService } from '../domain/twofactor.service';
import { insertAudit } from '../store/audit.store';
import { type Database } from '@geminis/service-kit';
import { actorOf, bodyOf, idOf, queryOf } from './request';

const TenantQuery = z.object({ tenantId: z.uuid().optional() }).strict();
const SettingsInput = z.object({ values: z.record(z.string().max(100), z.unknown()) }).strict();
const AuditQuery = z
  .object({
    tenantId: z.uuid().optional(),
    before: z.uuid().optional(),
    type: z.string().max(50).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict();
const RotateInput = z
  .object({
    previousKeyOverlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 3600)
      .optional(),
  })
  .strict();
const CodeInput = z.object({ code: z.string().min(1).max(20) }).strict();
const ReauthInput = z.object({ currentPassword: Password }).strict();
const DisableInput = z.object({ code: z.string().min(1).max(20), currentPassword: Password }).strict();
const ANY = { roles: ['admin', 'reseller', 'client'] as const };

/** The settings answer with each value typed by its key in the registry (secrets masked; null when unset). */
const [firstSetting, ...moreSettings] = SETTINGS.map((d) =>
  SettingView.extend({
    key: z.literal(d.key),
    value: (d.secret ? MaskedSecret : d.schema).nullable().describe(d.description),
  }),
);
const Settings = SettingsList.extend({
  items: z.array(z.discriminatedUnion('key', [firstSetting!, ...moreSettings])),
});

export function adminRoutes(deps: {
  db: Database;
  settings: SettingsService;
  audit: AuditService;
  keys: KeysService;
  twoFactor: TwoFactorService;
  tenants: TenantsService;
}) {
  const routes = createRoutes();

  /** An admin's explicit tenant filter must name a tenant that exists. */
  const knownTenant = async (tenantId: string | undefined) => {
    if (tenantId && tenantId !== PLATFORM_TENANT_ID && !(await deps.tenants.reseller(tenantId)))
      throw new NotFoundError('identity.reseller_not_found', 'reseller not found');
  };

  routes.get(
    '/v1/settings',
    { roles: ['admin', 'reseller'] },
    {
      summary: 'Settings of the caller’s tenant (admins: any tenant)',
      query: TenantQuery,
      responses: { 200: Settings },
    },
    async (req, res) => {
      const { tenantId } = queryOf(req, TenantQuery);
      const actor = actorOf(req);
      if (actor.auth.role === 'admin') await knownTenant(tenantId);
      res.json({
        items: await deps.settings.view(actor, actor.auth.role === 'admin' ? tenantId : undefined),
      });
    },
  );
  routes.put(
    '/v1/settings',
    { roles: ['admin', 'reseller'] },
    { summary: 'Change settings', query: TenantQuery, body: SettingsInput, responses: { 200: Settings } },
    async (req, res) => {
      const { tenantId } = queryOf(req, TenantQuery);
      const { values } = bodyOf(req, SettingsInput);
      const actor = actorOf(req);
      if (actor.auth.role === 'admin') await knownTenant(tenantId);
      await deps.settings.put(actor, values, actor.auth.role === 'admin' ? tenantId : undefined);
      res.json({
        items: await deps.settings.view(actor, actor.auth.role === 'admin' ? tenantId : undefined),
      });
    },
  );

  routes.get(
    '/v1/audit-log',
    { roles: ['admin', 'reseller'] },
    { summary: 'The audit log, newest first', query: AuditQuery, responses: { 200: AuditLog } },
    async (req, res) => {
      const q = queryOf(req, AuditQuery);
      const actor = actorOf(req);
      const scope = scopeFor(actor.auth, q.tenantId);
      if (actor.auth.role === 'admin' && q.tenantId) {
        await deps.db.withTenant(scope, (tx) =>
          insertAudit(tx, {
            tenantId: q.tenantId!,
            type: 'admin.narrowing',
            actorId: actor.auth.userId,
            ip: actor.ip,
          }),
        );
      }
      res.json({ items: await deps.audit.list(scope, q) });
    },
  );

  routes.post(
    '/v1/admin/signing-keys/rotate',
    { roles: ['admin'] },
    { summary: 'Rotate the token signing key', body: RotateInput, responses: { 201: RotatedSigningKey } },
    async (req, res) => {
      const body = bodyOf(req, RotateInput);
      const actor = actorOf(req);
      const { kid } = await deps.keys.rotate(body.previousKeyOverlapSeconds);
      await deps.db.withTenant(scopeFor(actor.auth, PLATFORM_TENANT_ID), (tx) =>
        insertAudit(tx, {
          tenantId: PLATFORM_TENANT_ID,
          type: 'signing_key.rotated',
          actorId: actor.auth.userId,
          ip: actor.ip,
          data: { kid },
        }),
      );
      res.status(201).json({ kid });
    },
  );

  // --- two-factor: the caller's own, and an admin reset ---
  routes.post(
    '/v1/me/2fa/enrol',
    ANY,
    {
      summary: 'Start enrolling the caller in two-factor authentication (asks for the password again)',
      body: ReauthInput,
      responses: { 200: TotpEnrolment },
    },
    async (req, res) => {
      const { currentPassword } = bodyOf(req, ReauthInput);
      res.set('cache-control', 'no-store').json(await deps.twoFactor.enrolMe(actorOf(req), currentPassword));
    },
  );
  routes.post(
    '/v1/me/2fa/confirm',
    ANY,
    {
      summary: 'Confirm two-factor enrolment with a code',
      body: CodeInput,
      responses: { 200: RecoveryCodes },
    },
    async (req, res) => {
      const { code } = bodyOf(req, CodeInput);
      res
        .set('cache-control', 'no-store')
        .json({ recoveryCodes: await deps.twoFactor.confirmMe(actorOf(req), code) });
    },
  );
  routes.post(
    '/v1/me/2fa/disable',
    ANY,
    {
      summary: 'Turn the caller’s two-factor authentication off (a code and the password again)',
      body: DisableInput,
      responses: { 204: null },
    },
    async (req, res) => {
      const { code, currentPassword } = bodyOf(req, DisableInput);
      await deps.twoFactor.disableMe(actorOf(req), code, currentPassword);
      res.status(204).end();
    },
  );
  routes.post(
    '/v1/users/:id/2fa/reset',
    { roles: ['admin'] },
    { summary: 'Reset a user’s two-factor authentication', responses: { 204: null } },
    async (req, res) => {
      const id = idOf(req, () => new NotFoundError('identity.user_not_found', 'user not found'));
      await deps.twoFactor.adminReset(actorOf(req), id);
      res.status(204).end();
    },
  );

  return routes;
}
