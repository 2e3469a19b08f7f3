import { z } from 'zod';
import { Currency, Domain, Email, Id, Language, ResellerStatus, Role, UserStatus } from '../events/common';

/**
 * Internal identity routes (never routed from outside by the gateway):
 *   GET /internal/v1/tenants/by-host/:host  → TenantByHost (404 when no reseller owns the host); public data
 *   GET /internal/v1/tenants/:tenantId/brand → TenantBrand; public data
 *   GET /internal/v1/tenants/:tenantId/password-resets/:resetId → PasswordResetToken, for the notifications
 *     side that emails the link after `identity.password_reset.requested.v1`; only with the shared service
 *     key in the `x-geminis-service-key` header; 404 once the reset is used, expired or replaced
 *   GET /internal/v1/revocations?since=<date-time> → Revocations: users not active and suspended resellers
 *     whose status changed since then, for the gateway to refuse access tokens issued before (it keeps
 *     them from identity's events; this fills a replica that starts later); only with the service key
 */
export const IDENTITY_INTERNAL = {
  tenantByHost: (host: string) => `/internal/v1/tenants/by-host/${encodeURIComponent(host)}`,
  tenantBrand: (tenantId: string) => `/internal/v1/tenants/${encodeURIComponent(tenantId)}/brand`,
  passwordResetToken: (tenantId: string, resetId: string) =>
    `/internal/v1/tenants/${encodeURIComponent(tenantId)}/password-resets/${encodeURIComponent(resetId)}`,
  revocations: (since: Date) => `/internal/v1/revocations?since=${encodeURIComponent(since.toISOString())}`,
  /** Whose client an id is (service key): catalog asks for a client it never heard of. 404: no such client. */
  client: (clientId: string) => `/internal/v1/clients/${encodeURIComponent(clientId)}`,
} as const;

/** GET /internal/v1/clients/:id → the client's tenant and status. */
export const ClientTenant = z.object({
  clientId: z.uuid(),
  tenantId: z.uuid(),
  status: UserStatus,
  createdAt: z.iso.datetime({ offset: true }),
});
export type ClientTenant = z.infer<typeof ClientTenant>;

export const RevocationsQuery = z.object({ since: z.iso.datetime({ offset: true }).max(40) });
export type RevocationsQuery = z.infer<typeof RevocationsQuery>;

/**
 * Tokens of this user (`user`), or of every user of this tenant (`tenant`), issued at or before `at`; or
 * every token of this session (`session`: the `sid` claim, the refresh-token family — logout, password
 * change, refresh-token reuse), whenever issued.
 */
export const Revocation = z.object({
  kind: z.enum(['user', 'tenant', 'session']),
  id: z.uuid(),
  at: z.iso.datetime({ offset: true }),
});
export type Revocation = z.infer<typeof Revocation>;

export const Revocations = z.object({ items: z.array(Revocation) });
export type Revocations = z.infer<typeof Revocations>;

export const PasswordResetToken = z.object({ resetId: z.uuid(), token: z.string().min(1) });
export type PasswordResetToken = z.infer<typeof PasswordResetToken>;

export const TenantByHost = z.object({
  tenantId: z.uuid(),
  slug: z.string(),
  brandName: z.string(),
  status: ResellerStatus,
});
export type TenantByHost = z.infer<typeof TenantByHost>;

export const TenantBrand = z.object({
  tenantId: z.uuid(),
  brandName: z.string(),
  logoUrl: z.url().nullable(),
  supportEmail: z.email().nullable(),
  customDomains: z.array(Domain),
});
export type TenantBrand = z.infer<typeof TenantBrand>;

// --- the answers of identity's public API (as they go on the wire: dates are ISO 8601 strings) ---

const Timestamp = z.iso.datetime();

/** A user account as its owner, its reseller and admins see it: never a credential. */
export const User = z.object({
  id: Id,
  tenantId: Id,
  role: Role,
  status: UserStatus,
  email: Email,
  name: z.string().min(1).max(200),
  language: Language,
  currency: Currency,
  twoFactorEnabled: z.boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type User = z.infer<typeof User>;

/** A reseller: a tenant with its storefront brand. Its id is its tenant id. */
export const Reseller = z.object({
  id: Id,
  slug: z.string().min(2).max(63),
  brandName: z.string().min(1).max(200),
  logoUrl: z.url().nullable(),
  supportEmail: Email.nullable(),
  customDomains: z.array(Domain),
  allowCustomProducts: z.boolean(),
  status: ResellerStatus,
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type Reseller = z.infer<typeof Reseller>;

/** POST /v1/resellers: the new tenant and the reseller login created with it. */
export const CreatedReseller = z.object({ reseller: Reseller, owner: User });
export type CreatedReseller = z.infer<typeof CreatedReseller>;

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    next: Id.optional().describe('Pass as `after` for the next page; absent on the last page'),
  });

/** GET /v1/clients: one page, in id order. */
export const UserPage = pageOf(User);
export type UserPage = z.infer<typeof UserPage>;

/** GET /v1/resellers: one page, in id order. */
export const ResellerPage = pageOf(Reseller);
export type ResellerPage = z.infer<typeof ResellerPage>;

/** A signed-in session: a short-lived access token (JWT) and the refresh token that renews it. */
export const Session = z.object({
  status: z.literal('ok'),
  tokenType: z.literal('Bearer'),
  accessToken: z.string().min(1),
  expiresIn: z.number().int().positive().describe('Seconds until the access token expires'),
  refreshToken: z.string().min(1),
  user: User,
});
export type Session = z.infer<typeof Session>;

/** The first login step succeeded but a second factor is needed (or must be enrolled first). */
export const MfaChallenge = z.object({
  status: z
    .enum(['mfa_required', 'mfa_enrolment_required'])
    .describe(
      '`mfa_required`: send a TOTP or recovery code; `mfa_enrolment_required`: two-factor is mandatory, enrol first',
    ),
  mfaToken: z.string().min(1),
  expiresIn: z.number().int().positive().describe('Seconds the mfaToken stays valid'),
});
export type MfaChallenge = z.infer<typeof MfaChallenge>;

/** POST /v1/auth/login: a session, or the challenge of a second step. */
export const LoginResult = z.discriminatedUnion('status', [Session, MfaChallenge]);
export type LoginResult = z.infer<typeof LoginResult>;

const RecoveryCodeList = z
  .array(z.string().regex(/^[a-z0-9]{5}-[a-z0-9]{5}$/))
  .length(10)
  .describe('One-time recovery codes, shown once');

/** POST /v1/me/2fa/confirm: two-factor is on; the recovery codes are shown this once. */
export const RecoveryCodes = z.object({ recoveryCodes: RecoveryCodeList });
export type RecoveryCodes = z.infer<typeof RecoveryCodes>;

/** POST /v1/auth/login/2fa/confirm: the enrolment made at login is confirmed and the login completed. */
export const EnrolledSession = Session.extend({ recoveryCodes: RecoveryCodeList });
export type EnrolledSession = z.infer<typeof EnrolledSession>;

/**
 * A pending TOTP enrolment, for the caller's authenticator app (sent with `cache-control: no-store`): the
 * shared secret is shown to its owner this once, confirmed with a first code.
 */
export const TotpEnrolment = z.object({
  secret: z
    .string()
    .regex(/^[A-Z2-7]+=*$/)
    .describe('The TOTP secret in base32, for manual entry'),
  otpauthUri: z
    .url({ protocol: /^otpauth$/ })
    .describe('The same secret as an otpauth://totp/ URI (QR code)'),
});
export type TotpEnrolment = z.infer<typeof TotpEnrolment>;

/** POST /v1/auth/password/reset-request: always the same answer, whether or not the email exists. */
export const ResetRequestAccepted = z.object({ status: z.literal('accepted') });
export type ResetRequestAccepted = z.infer<typeof ResetRequestAccepted>;

/** A public RSA signing key (RFC 7517). */
export const Jwk = z.object({
  kty: z.literal('RSA'),
  kid: z.string().min(1),
  use: z.literal('sig'),
  alg: z.literal('RS256'),
  n: z.base64url(),
  e: z.base64url(),
});
export type Jwk = z.infer<typeof Jwk>;

/** GET /.well-known/jwks.json: the keys that verify access tokens (the signing key and those retiring). */
export const Jwks = z.object({ keys: z.array(Jwk) });
export type Jwks = z.infer<typeof Jwks>;

/** POST /v1/admin/signing-keys/rotate: the id of the new signing key. */
export const RotatedSigningKey = z.object({ kid: z.string().min(1) });
export type RotatedSigningKey = z.infer<typeof RotatedSigningKey>;

/** One setting as the caller's tenant sees it. */
export const SettingView = z.object({
  key: z.string().min(1),
  description: z.string(),
  scope: z
    .enum(['platform', 'reseller'])
    .describe('`platform`: only the platform sets it; `reseller`: a reseller may override it'),
  secret: z.boolean(),
  editable: z.boolean().describe('Whether the viewer’s tenant may set it'),
  source: z.enum(['default', 'platform', 'reseller']).describe('Where the value comes from'),
  value: z
    .unknown()
    .describe(
      'Typed per key (string, integer, boolean, email, URL…); null when unset; secrets masked as ••••abcd',
    ),
});
export type SettingView = z.infer<typeof SettingView>;

/** GET and PUT /v1/settings: every setting, resolved for the tenant. */
export const SettingsList = z.object({ items: z.array(SettingView) });
export type SettingsList = z.infer<typeof SettingsList>;

/** A secret setting's value as it is shown: only its last 4 characters. */
export const MaskedSecret = z.string().regex(/^••••/);

/** Everything the audit log records. */
export const AuditEntryType = z.enum([
  'login.succeeded',
  'login.failed',
  'login.locked',
  'login.2fa_failed',
  'token.reuse_detected',
  'logout',
  'password.changed',
  'password.reset_requested',
  'password.reset_completed',
  'user.status_changed',
  'user.created',
  'signup.existing_email',
  'reseller.created',
  'reseller.updated',
  'reseller.status_changed',
  '2fa.enrolled',
  '2fa.disabled',
  '2fa.reset_by_admin',
  '2fa.recovery_code_used',
  'settings.changed',
  'admin.narrowing',
  'signing_key.rotated',
]);
export type AuditEntryType = z.infer<typeof AuditEntryType>;

export const AuditEntry = z.object({
  id: Id,
  tenantId: Id,
  type: AuditEntryType,
  actorId: Id.nullable().describe('The user who acted; null when nobody was signed in (a login)'),
  subjectId: Id.nullable().describe('The user or reseller acted upon'),
  ip: z.union([z.ipv4(), z.ipv6()]).nullable().describe('The address the request came from, if known'),
  data: z
    .record(z.string(), z.unknown())
    .describe('Details, by type (e.g. the keys changed, a status change’s from and to); never a secret'),
  createdAt: Timestamp,
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** GET /v1/audit-log: newest first; pass the last id as `before` for older entries. */
export const AuditLog = z.object({ items: z.array(AuditEntry) });
export type AuditLog = z.infer<typeof AuditLog>;
