import {
  EnrolledSession,
  Jwks,
  LoginResult,
  ResetRequestAccepted,
  Session,
  TotpEnrolment,
} from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { z } from 'zod';
import { Email, NewPassword, Password, SignupInput, Slug } from '../domain/accounts';
import { type AuthService } from '../domain/auth.service';
import { type ClientsService } from '../domain/clients.service';
import { type KeysService } from '../domain/keys.service';
import { type PasswordService } from '../domain/password.service';
import { type TenantsService } from '../domain/tenants.service';
import { type TwoFactorService } from '../domain/twofactor.service';
import { actorOf, bodyOf } from './request';

const LoginInput = z.object({ email: Email, password: Password, tenantSlug: Slug.optional() }).strict();
const TokenInput = z.object({ refreshToken: z.string().min(1).max(200) }).strict();
const MfaInput = z.object({ mfaToken: z.string().min(1).max(200), code: z.string().min(1).max(20) }).strict();
const MfaTokenInput = z.object({ mfaToken: z.string().min(1).max(200) }).strict();
const ChangeInput = z.object({ currentPassword: Password, newPassword: NewPassword }).strict();
const ResetRequestInput = z.object({ email: Email, tenantSlug: Slug.optional() }).strict();
const ResetInput = z.object({ token: z.string().min(1).max(200), newPassword: NewPassword }).strict();

export function authRoutes(deps: {
  auth: AuthService;
  passwords: PasswordService;
  twoFactor: TwoFactorService;
  tenants: TenantsService;
  clients: ClientsService;
  keys: KeysService;
}) {
  const routes = createRoutes();
  const noStore = { 'cache-control': 'no-store' };

  routes.get(
    '/.well-known/jwks.json',
    { public: true },
    { summary: 'Public keys that verify access tokens', responses: { 200: Jwks } },
    async (_req, res) => {
      res.set('cache-control', 'public, max-age=300').json(await deps.keys.jwks());
    },
  );

  routes.post(
    '/v1/auth/login',
    { public: true },
    { summary: 'Log in with email and password', body: LoginInput, responses: { 200: LoginResult } },
    async (req, res) => {
      const body = bodyOf(req, LoginInput);
      const tenant = await deps.tenants.resolve({ slug: body.tenantSlug, host: req.headers.host });
      const result = await deps.auth.login({
        tenant,
        email: body.email,
        password: body.password,
        ip: req.ip,
      });
      res.set(noStore).json(result);
    },
  );

  routes.post(
    '/v1/auth/login/2fa',
    { public: true },
    { summary: 'Complete a login with a two-factor code', body: MfaInput, responses: { 200: Session } },
    async (req, res) => {
      const body = bodyOf(req, MfaInput);
      res.set(noStore).json(await deps.twoFactor.completeLogin(body.mfaToken, body.code, req.ip));
    },
  );

  routes.post(
    '/v1/auth/login/2fa/enrol',
    { public: true },
    {
      summary: 'Start the two-factor enrolment a login requires',
      body: MfaTokenInput,
      responses: { 200: TotpEnrolment },
    },
    async (req, res) => {
      const body = bodyOf(req, MfaTokenInput);
      res.set(noStore).json(await deps.twoFactor.enrolAtLogin(body.mfaToken));
    },
  );

  routes.post(
    '/v1/auth/login/2fa/confirm',
    { public: true },
    {
      summary: 'Confirm that enrolment and complete the login',
      body: MfaInput,
      responses: { 200: EnrolledSession },
    },
    async (req, res) => {
      const body = bodyOf(req, MfaInput);
      res.set(noStore).json(await deps.twoFactor.confirmAtLogin(body.mfaToken, body.code, req.ip));
    },
  );

  routes.post(
    '/v1/auth/refresh',
    { public: true },
    { summary: 'Exchange a refresh token for new tokens', body: TokenInput, responses: { 200: Session } },
    async (req, res) => {
      const body = bodyOf(req, TokenInput);
      res.set(noStore).json(await deps.auth.refresh(body.refreshToken, req.ip));
    },
  );

  routes.post(
    '/v1/auth/logout',
    { public: true },
    { summary: 'Revoke a refresh token', body: TokenInput, responses: { 204: null } },
    async (req, res) => {
      const body = bodyOf(req, TokenInput);
      await deps.auth.logout(body.refreshToken, req.ip);
      res.status(204).end();
    },
  );

  routes.post(
    '/v1/auth/password/change',
    { roles: ['admin', 'reseller', 'client'] },
    { summary: 'Change the caller’s password', body: ChangeInput, responses: { 204: null } },
    async (req, res) => {
      const body = bodyOf(req, ChangeInput);
      await deps.passwords.change(actorOf(req), body.currentPassword, body.newPassword);
      res.status(204).end();
    },
  );

  routes.post(
    '/v1/auth/password/reset-request',
    { public: true },
    {
      summary: 'Email a password reset link',
      body: ResetRequestInput,
      responses: { 202: ResetRequestAccepted },
    },
    async (req, res) => {
      const body = bodyOf(req, ResetRequestInput);
      const tenant = await deps.tenants.resolve({ slug: body.tenantSlug, host: req.headers.host });
      // Answered before any work that depends on the e-mail: a known address (token, event, audit) and an
      // unknown one (a single read) answer in the same time. A failure is logged; the caller can ask again.
      res.status(202).json({ status: 'accepted' });
      deps.passwords.requestReset(tenant, body.email, req.ip).catch((err: unknown) => {
        req.log.error({ err }, 'password reset request failed after it was answered');
      });
    },
  );

  routes.post(
    '/v1/auth/password/reset',
    { public: true },
    { summary: 'Set a new password with a reset token', body: ResetInput, responses: { 204: null } },
    async (req, res) => {
      const body = bodyOf(req, ResetInput);
      await deps.passwords.reset(body.token, body.newPassword, req.ip);
      res.status(204).end();
    },
  );

  routes.post(
    '/v1/auth/signup',
    { public: true },
    {
      summary: 'Sign up as a client (answered the same whether or not the e-mail already has an account)',
      body: SignupInput,
      responses: { 202: ResetRequestAccepted },
    },
    async (req, res) => {
      const body = bodyOf(req, SignupInput);
      const { tenantSlug, ...input } = body;
      const tenant = await deps.tenants.resolve({ slug: tenantSlug, host: req.headers.host });
      // 409 for a known e-mail told anyone which addresses have accounts here. The new account signs in
      // with its password; a known address is left as it was.
      await deps.clients.signup(tenant, input, req.ip);
      res.status(202).json({ status: 'accepted' });
    },
  );

  return routes;
}
