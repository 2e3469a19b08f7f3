import { SingleLine } from '@geminis/contracts';
import { z } from 'zod';
import { PASSWORD_MAX, PASSWORD_MIN } from './passwords';

/** Input schemas of accounts (zod, strict: unknown fields such as role, status or tenantId are rejected). */
export const Email = z
  .string()
  .trim()
  .max(254)
  .pipe(z.email())
  .transform((e) => e.toLowerCase());
export const Name = SingleLine(200).min(1);
export const Language = z
  .string()
  .max(5, { abort: true })
  .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag like en or pt-BR');
export const Currency = z
  .string()
  .max(3, { abort: true })
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR');
/** A password given to prove who one is (login, re-authentication): any length the store accepts. */
export const Password = z.string().min(1).max(PASSWORD_MAX);
/** A password being set: the API document states the policy's minimum (the policy checks the rest). */
export const NewPassword = z.string().min(PASSWORD_MIN).max(PASSWORD_MAX);
export const Slug = z
  .string()
  .min(2)
  .max(63)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lower-case letters, digits and dashes');
export const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'a host name');
export const HttpsUrl = z.url({ protocol: /^https?$/ }).max(2000);
export const Uuid = z.uuid();

export const NewClientInput = z
  .object({
    email: Email,
    name: Name,
    password: NewPassword,
    language: Language.default('en'),
    currency: Currency.default('EUR'),
    /** Admins only: the tenant the client belongs to (default the platform). */
    tenantId: Uuid.optional(),
  })
  .strict();
export type NewClientInput = z.infer<typeof NewClientInput>;

export const SignupInput = NewClientInput.omit({ tenantId: true })
  .extend({ tenantSlug: Slug.optional() })
  .strict();

export const ProfilePatchInput = z
  .object({ name: Name, language: Language, currency: Currency })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export const ClientPatchInput = z
  .object({ name: Name, language: Language, currency: Currency, email: Email })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');

export const NewResellerInput = z
  .object({
    slug: Slug,
    brandName: Name,
    logoUrl: HttpsUrl.optional(),
    supportEmail: Email.optional(),
    customDomains: z.array(Domain).max(10).default([]),
    allowCustomProducts: z.boolean().default(false),
    owner: z.object({ email: Email, name: Name, password: NewPassword }).strict(),
  })
  .strict();
export type NewResellerInput = z.infer<typeof NewResellerInput>;

export const ResellerPatchInput = z
  .object({
    brandName: Name,
    logoUrl: HttpsUrl.nullable(),
    supportEmail: Email.nullable(),
    customDomains: z.array(Domain).max(10),
    allowCustomProducts: z.boolean(),
  })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type ResellerPatchInput = z.infer<typeof ResellerPatchInput>;

/**
 * What a reseller may change of its own profile: its brand. Domains (globally unique, so a claim on a
 * name someone else owns would block them), the slug, custom products and status stay with the admins.
 */
export const OwnResellerPatchInput = z
  .object({ brandName: Name, logoUrl: HttpsUrl.nullable(), supportEmail: Email.nullable() })
  .partial()
  .strict()
  .refine((p) => Object.keys(p).length > 0, 'nothing to change');
export type OwnResellerPatchInput = z.infer<typeof OwnResellerPatchInput>;

export const PageInput = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(50),
    after: Uuid.optional(),
    tenantId: Uuid.optional(),
  })
  .strict();
