import { SingleLine } from '@geminis/contracts';
import { z } from 'zod';

/**
 * The settings registry: every key, its type, its default and its scope rule.
 * - `platform`: only the platform sets it; resellers read the platform value.
 * - `reseller`: the platform sets the default; a reseller may override it for its tenant.
 * - secret keys are reseller-overridable, encrypted at rest and never returned in full.
 */
export interface SettingDefinition<T = unknown> {
  key: string;
  description: string;
  scope: 'platform' | 'reseller';
  secret: boolean;
  schema: z.ZodType<T>;
  default: T | null;
}

const def = <T>(d: SettingDefinition<T>): SettingDefinition => d;

export const SETTINGS: readonly SettingDefinition[] = [
  def({
    key: 'billing.invoicePrefix',
    description: 'Prefix of invoice numbers',
    scope: 'reseller',
    secret: false,
    schema: z
      .string()
      .max(12, { abort: true })
      .regex(/^[A-Z0-9-]{1,12}$/, 'upper-case letters, digits and dashes, at most 12'),
    default: 'INV-',
  }),
  def({
    key: 'billing.daysBeforeDueToInvoice',
    description: 'Renewal invoices are issued this many days before the due date',
    scope: 'platform',
    secret: false,
    schema: z.number().int().min(0).max(90),
    default: 14,
  }),
  def({
    key: 'billing.overdueDaysToSuspend',
    description: 'Days after the due date before a service is suspended',
    scope: 'platform',
    secret: false,
    schema: z.number().int().min(0).max(365),
    default: 7,
  }),
  def({
    key: 'billing.overdueDaysToTerminate',
    description: 'Days after the due date before a service is terminated',
    scope: 'platform',
    secret: false,
    schema: z.number().int().min(1).max(730),
    default: 30,
  }),
  def({
    key: 'billing.defaultCurrency',
    description: 'Currency of new clients and prices',
    scope: 'reseller',
    secret: false,
    schema: z
      .string()
      .max(3, { abort: true })
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR'),
    default: 'EUR',
  }),
  def({
    key: 'general.supportEmail',
    description: 'Where clients write for help',
    scope: 'reseller',
    secret: false,
    schema: z.email().max(254),
    default: 'support@geminis.local',
  }),
  def({
    key: 'branding.companyName',
    description: 'Name shown on the storefront, invoices and emails',
    scope: 'reseller',
    secret: false,
    schema: SingleLine(200).min(1),
    default: 'Geminis',
  }),
  def({
    key: 'branding.logoUrl',
    description: 'Logo URL',
    scope: 'reseller',
    secret: false,
    schema: z.url({ protocol: /^https?$/ }).max(2000),
    default: null,
  }),
  def({
    key: 'branding.primaryColor',
    description: 'Primary colour (#rrggbb)',
    scope: 'reseller',
    secret: false,
    schema: z
      .string()
      .max(7, { abort: true })
      .regex(/^#[0-9a-fA-F]{6}$/, 'a colour like #1a2b3c'),
    default: '#3b5bdb',
  }),
  def({
    key: 'security.require2faForAdmins',
    description: 'Platform admins must use two-factor authentication',
    scope: 'platform',
    secret: false,
    schema: z.boolean(),
    default: false,
  }),
  def({
    key: 'security.require2faForClients',
    description: 'Clients must use two-factor authentication',
    scope: 'reseller',
    secret: false,
    schema: z.boolean(),
    default: false,
  }),
  def({
    key: 'payments.stripeSecretKey',
    description: 'Stripe secret API key',
    scope: 'reseller',
    secret: true,
    schema: z.string().min(8).max(500),
    default: null,
  }),
  def({
    key: 'mail.smtpPassword',
    description: 'SMTP password for outgoing email',
    scope: 'reseller',
    secret: true,
    schema: z.string().min(1).max(500),
    default: null,
  }),
];

export const SETTINGS_BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));

/** Secrets shorter than this show no characters at all when masked. */
export const MASK_REVEALS_FROM = 16;

/**
 * A secret is never returned in full: only that it is set, and its last 4 characters when it is long
 * enough (16+) that 4 of them say which key it is without giving a real part of it away; a short one
 * (a 4-character SMTP password) shows nothing.
 */
export const maskSecret = (value: string): string =>
  value.length >= MASK_REVEALS_FROM ? `••••${value.slice(-4)}` : '••••';
