import { BillingCycle, MoneyAmount, RegistrantContact } from '@geminis/contracts';
import { checkVAT, countries as vatCountries } from 'jsvat';
import { z } from 'zod';

const CurrencyCode = z
  .string()
  .length(3)
  .regex(/^[A-Z]{3}$/, 'an ISO 4217 code like EUR');
const CountryCode = z
  .string()
  .length(2)
  .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code like PT');
const RegionCode = z
  .string()
  .max(3)
  .regex(/^[A-Z0-9]{1,3}$/, 'an ISO 3166-2 region code without the country, like CA');
const Domain = z
  .string()
  .trim()
  .toLowerCase()
  .max(253)
  .regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'a domain name like example.com');
/**
 * Minor units: a whole, positive JSON number (never a float or a string), at most the platform's money
 * bound (contracts' MoneyAmount, 10^12), so sums of amounts stay exact.
 */
const PositiveAmount = MoneyAmount.min(1);

/** One product of the cart: catalog's quote item, plus the primary domain of a hosting account. */
export const OrderItem = z
  .object({
    productId: z.uuid(),
    cycle: BillingCycle,
    quantity: z.number().int().min(1).max(100).default(1),
    options: z
      .array(
        z
          .object({
            optionId: z.uuid(),
            choiceId: z.uuid().optional(),
            quantity: z.number().int().min(0).max(100_000).optional(),
            enabled: z.boolean().optional(),
          })
          .strict(),
      )
      .max(50)
      .default([]),
    addons: z
      .array(z.object({ addonId: z.uuid(), cycle: BillingCycle.optional() }).strict())
      .max(50)
      .default([]),
    domain: Domain.optional(),
  })
  .strict();
export type OrderItem = z.infer<typeof OrderItem>;

/**
 * A domain of the cart: registered or transferred in for some years (catalog prices the TLD), with what the
 * registrar needs. A transfer needs its EPP code; a registration must not carry one.
 */
export const DomainOrderItem = z
  .object({
    domain: Domain,
    action: z.enum(['register', 'transfer']),
    years: z.number().int().min(1).max(10).default(1),
    eppCode: z.string().trim().min(1).max(64).optional(),
    nameservers: z.array(Domain).max(13).default([]),
    privacy: z.boolean().default(false),
    registrant: RegistrantContact.strict(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.action === 'transfer' && !d.eppCode)
      ctx.addIssue({ code: 'custom', path: ['eppCode'], message: 'required to transfer a domain' });
    if (d.action === 'register' && d.eppCode)
      ctx.addIssue({ code: 'custom', path: ['eppCode'], message: 'only a transfer has an EPP code' });
    if (new Set(d.nameservers).size !== d.nameservers.length)
      ctx.addIssue({ code: 'custom', path: ['nameservers'], message: 'each nameserver once' });
  });
export type DomainOrderItem = z.infer<typeof DomainOrderItem>;

export const OrderInput = z
  .object({
    items: z.array(OrderItem).max(20).default([]),
    /** Domains to register or transfer, priced by catalog's TLD prices. */
    domains: z.array(DomainOrderItem).max(20).default([]),
    promoCode: z.string().trim().min(1).max(64).optional(),
    /** Default: the client's own currency. */
    currency: CurrencyCode.optional(),
    /** Staff ordering for a client of their tenant; a client always orders for itself. */
    clientId: z.uuid().optional(),
    /** Admin only: the reseller tenant of the client (default: the platform). */
    tenantId: z.uuid().optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.items.length === 0 && o.domains.length === 0)
      ctx.addIssue({ code: 'custom', path: ['items'], message: 'order at least one product or domain' });
    const names = o.domains.map((d) => d.domain);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['domains', i, 'domain'],
          message: 'this domain is already in the cart',
        });
    });
  });
export type OrderInput = z.infer<typeof OrderInput>;

export const PaymentInput = z
  .object({
    amount: PositiveAmount.describe('Minor units of the invoice currency'),
    method: z.enum(['manual', 'bank_transfer']).default('manual'),
    reference: z.string().trim().min(1).max(200).optional(),
  })
  .strict();
export type PaymentInput = z.infer<typeof PaymentInput>;

export const ApplyCreditInput = z
  .object({ amount: PositiveAmount.optional().describe('Default: as much as both balances allow') })
  .strict();
export type ApplyCreditInput = z.infer<typeof ApplyCreditInput>;

export const CreditDepositInput = z
  .object({
    amount: PositiveAmount,
    currency: CurrencyCode,
    description: z.string().trim().max(200).default(''),
  })
  .strict();
export type CreditDepositInput = z.infer<typeof CreditDepositInput>;

export const SettingsInput = z
  .object({
    taxName: z.string().trim().min(1).max(40),
    taxRateBps: z.number().int().min(0).max(10_000),
    invoicePrefix: z
      .string()
      .max(20)
      .regex(/^[A-Za-z0-9/_-]{0,20}$/, 'letters, digits, / _ -, at most 20'),
    invoicePadding: z.number().int().min(1).max(12),
    invoiceYearlyReset: z.boolean(),
    invoiceDueDays: z.number().int().min(0).max(365),
    orderExpiryDays: z.number().int().min(1).max(365).nullable(),
    taxCountry: CountryCode.nullable().describe("The tenant's own country (reverse charge within the EU)"),
    sellerName: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .nullable()
      .describe('Printed on invoices (default: the brand)'),
    sellerAddress: z.string().trim().min(1).max(500).nullable(),
    sellerTaxId: z.string().trim().min(1).max(40).nullable(),
    brandColor: z
      .string()
      .toLowerCase()
      .length(7)
      .regex(/^#[0-9a-f]{6}$/, 'a colour like #1f4e8c')
      .nullable(),
    taxInclusive: z
      .boolean()
      .describe('Prices include tax: the tax is taken out of each line’s price (half-up per line)'),
  })
  .partial()
  .strict();
export type SettingsInput = z.infer<typeof SettingsInput>;

/** One tax rate of a tenant for a country (and optionally one of its regions: a state, a province). */
export const TaxRuleInput = z
  .object({
    country: CountryCode,
    region: RegionCode.optional().describe(
      'A region of the country (ISO 3166-2 suffix, e.g. CA, QC); absent: all',
    ),
    name: z.string().trim().min(1).max(40),
    rateBps: z.number().int().min(0).max(10_000).describe('Basis points: 21% = 2100'),
  })
  .strict();

/** PUT /v1/billing-settings/tax-rules: the tenant's whole list of rules. */
export const TaxRulesInput = z
  .object({ rules: z.array(TaxRuleInput).max(500) })
  .strict()
  .superRefine((v, ctx) => {
    const seen = new Set<string>();
    v.rules.forEach((r, i) => {
      const key = `${r.country}/${r.region ?? ''}`;
      if (seen.has(key))
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'region'], message: `a second rule for ${key}` });
      seen.add(key);
    });
  });
export type TaxRulesInput = z.infer<typeof TaxRulesInput>;

/**
 * A client's tax facts (identity's events carry none): its country and region, a VAT id (the format and
 * check digits of EU and other supported countries checked with jsvat, and it must be of that country),
 * and whether it is exempt.
 */
export const TaxProfileInput = z
  .object({
    country: CountryCode.nullable(),
    region: RegionCode.nullable().default(null),
    vatId: z
      .string()
      .transform((v) => v.toUpperCase().replace(/[\s.-]/g, ''))
      .pipe(
        z
          .string()
          .max(15)
          .regex(/^[A-Z]{2}[A-Z0-9+*]{2,13}$/, 'a VAT id with its country prefix, like DE136695976'),
      )
      .nullable()
      .default(null),
    taxExempt: z.boolean().default(false),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.region !== null && v.country === null)
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'a region needs its country' });
    if (v.vatId === null) return;
    if (v.country === null) {
      ctx.addIssue({ code: 'custom', path: ['vatId'], message: 'a VAT id needs the client’s country' });
      return;
    }
    const checked = checkVAT(v.vatId, vatCountries);
    if (checked.isSupportedCountry) {
      if (!checked.isValid)
        ctx.addIssue({
          code: 'custom',
          path: ['vatId'],
          message: 'not a valid VAT id (format or check digits)',
        });
      else if (checked.country?.isoCode.short !== v.country)
        ctx.addIssue({ code: 'custom', path: ['vatId'], message: `not a VAT id of ${v.country}` });
    } else if (!v.vatId.startsWith(v.country))
      ctx.addIssue({ code: 'custom', path: ['vatId'], message: `must start with ${v.country}` });
  });
export type TaxProfileInput = z.infer<typeof TaxProfileInput>;

export const StripeGatewayInput = z
  .object({
    secretKey: z
      .string()
      .max(255)
      .regex(/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/, 'a Stripe secret key (sk_test_…, sk_live_…)'),
    webhookSecret: z
      .string()
      .max(255)
      .regex(/^whsec_[A-Za-z0-9+/=]{8,}$/, 'a webhook signing secret (whsec_…)'),
    publishableKey: z
      .string()
      .max(255)
      .regex(/^pk_(test|live)_[A-Za-z0-9]{8,}$/, 'a publishable key (pk_test_…)')
      .optional(),
  })
  .strict();
export type StripeGatewayInput = z.infer<typeof StripeGatewayInput>;

export const CreditNoteInput = z
  .object({
    amount: PositiveAmount.optional().describe('Default: everything paid and not yet credited'),
    reason: z.string().trim().min(1).max(500),
    /** credit: the client's account credit; stripe: back to the card it was paid with. */
    refundTo: z.enum(['credit', 'stripe']).default('credit'),
  })
  .strict();
export type CreditNoteInput = z.infer<typeof CreditNoteInput>;

/** A late fee: fixed (minor units of one currency) or a percentage of the invoice (basis points). */
export const LateFeeInput = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('fixed'),
      amount: PositiveAmount.describe('Minor units of `currency`; invoices in another currency get none'),
      currency: CurrencyCode,
      afterDays: z.number().int().min(0).max(365),
    })
    .strict(),
  z
    .object({
      kind: z.literal('percent'),
      bps: z.number().int().min(1).max(10_000).describe('Of the invoice total, rounded half-up'),
      afterDays: z.number().int().min(0).max(365),
    })
    .strict(),
]);

export const LifecycleSettingsInput = z
  .object({
    renewalLeadDays: z.number().int().min(0).max(365),
    suspendAfterDays: z.number().int().min(0).max(365).nullable(),
    terminateAfterDays: z.number().int().min(1).max(3650).nullable(),
    lateFee: LateFeeInput.nullable(),
    autoChargeRetryDays: z
      .array(z.number().int().min(1).max(90))
      .max(10)
      .refine((d) => d.every((x, i) => i === 0 || x > d[i - 1]!), 'days in increasing order'),
    reminderDays: z
      .array(z.number().int().min(-60).max(365))
      .max(10)
      .refine((d) => new Set(d).size === d.length, 'each day once'),
  })
  .partial()
  .strict();
export type LifecycleSettingsInput = z.infer<typeof LifecycleSettingsInput>;

/** Staff suspend, unsuspend or terminate a client service: the reason is recorded. */
export const ServiceActionInput = z.object({ reason: z.string().trim().min(1).max(500) }).strict();
export type ServiceActionInput = z.infer<typeof ServiceActionInput>;

/** A client (or staff for it) asks to cancel a service: at the end of its period, or now. */
export const CancellationInput = z
  .object({
    when: z.enum(['end_of_period', 'immediate']),
    reason: z.string().trim().min(1).max(500),
  })
  .strict();
export type CancellationInput = z.infer<typeof CancellationInput>;

/** Staff exempt a service from automatic suspension for non-payment, or lift the exemption. */
export const DunningExemptionInput = z
  .object({ exempt: z.boolean(), reason: z.string().trim().min(1).max(500) })
  .strict();
export type DunningExemptionInput = z.infer<typeof DunningExemptionInput>;

/** Staff give a client more time to pay a service's outstanding renewal. */
export const ExtensionInput = z
  .object({ days: z.number().int().min(1).max(90), reason: z.string().trim().min(1).max(500) })
  .strict();
export type ExtensionInput = z.infer<typeof ExtensionInput>;

/** A client's Stripe payment method, saved by reference (set up in the browser with Stripe.js). */
export const PaymentMethodInput = z
  .object({
    customerId: z
      .string()
      .max(68)
      .regex(/^cus_[A-Za-z0-9]{4,64}$/, 'a Stripe customer id (cus_…)'),
    paymentMethodId: z
      .string()
      .max(67)
      .regex(/^pm_[A-Za-z0-9]{4,64}$/, 'a Stripe payment method id (pm_…)'),
  })
  .strict();
export type PaymentMethodInput = z.infer<typeof PaymentMethodInput>;

/** A change of package mid-cycle: another product of the storefront, in the service's cycle. */
export const ChangePackageInput = z.object({ productId: z.uuid() }).strict();
export type ChangePackageInput = z.infer<typeof ChangePackageInput>;
