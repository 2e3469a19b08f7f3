import { z } from 'zod';
import { defineEvent } from '../registry';
import { Currency, Domain, Email, Id, Language, ResellerStatus, Role, UserStatus } from './common';

export const ClientCreated = defineEvent(
  'identity.client.created.v1',
  'A client account was created (by a reseller, an admin, or a storefront sign-up). tenantId = its tenant.',
  z.object({
    clientId: Id,
    email: Email,
    name: z.string().min(1).max(200),
    language: Language,
    currency: Currency,
    createdBy: Id.optional(),
    via: z.enum(['admin', 'reseller', 'signup']),
  }),
);

const ResellerProfile = z.object({
  resellerId: Id,
  slug: z.string().min(2).max(63),
  brandName: z.string().min(1).max(200),
  customDomains: z.array(Domain),
  allowCustomProducts: z.boolean(),
  status: ResellerStatus,
  contactEmail: Email.optional().describe(
    'Where the platform writes to the reseller about its own account (its wholesale invoices and reminders): ' +
      'its owner’s login address. Optional: absent from events of older identities.',
  ),
});

export const ResellerCreated = defineEvent(
  'identity.reseller.created.v1',
  'A reseller (a tenant) was created. Its tenant id is its resellerId.',
  ResellerProfile,
);

export const ResellerUpdated = defineEvent(
  'identity.reseller.updated.v1',
  "A reseller's profile changed; carries the full current profile, plus the domains it had before so " +
    'host caches can be invalidated.',
  ResellerProfile.extend({ previousCustomDomains: z.array(Domain).optional() }),
);

export const ResellerSuspended = defineEvent(
  'identity.reseller.suspended.v1',
  'A reseller was suspended: its users can no longer sign in.',
  z.object({ resellerId: Id, reason: z.string().max(500).optional() }),
);

export const UserStatusChanged = defineEvent(
  'identity.user.status_changed.v1',
  "A user's status changed (active, inactive, suspended).",
  z.object({ userId: Id, role: Role, from: UserStatus, to: UserStatus, changedBy: Id.optional() }),
);

/**
 * The reset token itself never travels in an event: events are logged, retried and dead-lettered. The
 * notifications side receives the reset id and asks identity (internally) for the link to send.
 */
export const PasswordResetRequested = defineEvent(
  'identity.password_reset.requested.v1',
  'A password reset was requested; the one-time token stays inside identity.',
  z.object({ userId: Id, email: Email, resetId: Id, expiresAt: z.iso.datetime({ offset: true }) }),
);

/**
 * Sign-up answers the same whether or not the e-mail has an account (no existence leak), so the owner of
 * a known address is told by mail instead: someone tried to sign up with it (sign in or reset instead).
 * At most one per e-mail per throttle window, so sign-up cannot mail-bomb an address.
 */
export const UserSignupExisting = defineEvent(
  'identity.user.signup_existing.v1',
  'Someone signed up with an e-mail that already has an account in the tenant; the owner is to be told.',
  z.object({
    tenantId: Id,
    userId: Id,
    email: Email,
    locale: Language.nullable(),
    occurredAt: z.iso.datetime({ offset: true }),
  }),
);

export const SettingsChanged = defineEvent(
  'identity.settings.changed.v1',
  'Settings changed at platform or reseller scope. Only the keys: some values are secret.',
  z.object({ scope: z.enum(['platform', 'reseller']), keys: z.array(z.string().min(1)).min(1) }),
);

export const identityEvents = [
  ClientCreated,
  ResellerCreated,
  ResellerUpdated,
  ResellerSuspended,
  UserStatusChanged,
  PasswordResetRequested,
  UserSignupExisting,
  SettingsChanged,
] as const;
