import { IsoDateTime, MoneyAmount, ProductVisibility, SingleLine, Text } from '@geminis/contracts';
import { z } from 'zod';
import { BillingCycle } from './cycles';
import { ProductType, ProvisioningModule } from './modules';
import { CURRENCY_PATTERN } from './money';

/**
 * Request bodies of the catalog API. They belong in @geminis/contracts (http/catalog.ts) once another
 * service calls them; until then they live here, and amounts are integer minor units.
 */
export const Amount = MoneyAmount;
export const CurrencyCode = z.string().length(3).regex(CURRENCY_PATTERN, 'an ISO 4217 code like EUR');
const Name = SingleLine(200).min(1);
const Description = Text(5000);
const SortOrder = z.number().int().min(0).max(1_000_000);

export const PriceInput = z
  .object({ currency: CurrencyCode, cycle: BillingCycle, price: Amount, setupFee: Amount.default(0) })
  .strict()
  .refine((p) => p.cycle !== 'free' || (p.price === 0 && p.setupFee === 0), {
    message: 'a free cycle has no price and no setup fee',
    path: ['price'],
  });
export type PriceInput = z.infer<typeof PriceInput>;

const uniquePrices = (prices: PriceInput[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  prices.forEach((p, i) => {
    const key = `${p.currency}/${p.cycle}`;
    if (seen.has(key))
      ctx.addIssue({ code: 'custom', message: `duplicate price for ${key}`, path: [i, 'cycle'] });
    seen.add(key);
  });
};
export const PriceList = z.array(PriceInput).max(200).superRefine(uniquePrices);
export const PricesBody = z.object({ prices: PriceList }).strict();

export const GroupInput = z
  .object({
    name: Name,
    description: Description.default(''),
    sortOrder: SortOrder.default(0),
    visible: z.boolean().default(true),
  })
  .strict();
export const GroupPatch = z
  .object({ name: Name, description: Description, sortOrder: SortOrder, visible: z.boolean() })
  .partial()
  .strict();

export const Visibility = ProductVisibility;
/** A module's settings: bounded names, JSON values (prototype keys are refused by the kit before this). */
const ModuleConfig = z
  .record(z.string().min(1).max(100), z.unknown())
  .refine((c) => Object.keys(c).length <= 100, 'at most 100 settings');
export const ProductInput = z
  .object({
    groupId: z.uuid(),
    name: Name,
    description: Description.default(''),
    type: ProductType,
    module: ProvisioningModule,
    moduleConfig: ModuleConfig.default({}),
    visibility: Visibility.default('visible'),
    resellable: z.boolean().default(false),
    sortOrder: SortOrder.default(0),
    prices: PriceList.optional(),
  })
  .strict();
export type ProductInput = z.infer<typeof ProductInput>;
export const ProductPatch = z
  .object({
    groupId: z.uuid(),
    name: Name,
    description: Description,
    type: ProductType,
    module: ProvisioningModule,
    moduleConfig: ModuleConfig,
    visibility: Visibility,
    resellable: z.boolean(),
    sortOrder: SortOrder,
  })
  .partial()
  .strict();
export type ProductPatch = z.infer<typeof ProductPatch>;

export const OptionsBody = z
  .object({
    options: z
      .array(
        z
          .object({
            name: Name,
            kind: z.enum(['select', 'quantity', 'yesno']),
            minQuantity: z.number().int().min(0).max(100_000).default(0),
            maxQuantity: z.number().int().min(1).max(100_000).nullable().default(null),
            sortOrder: SortOrder.default(0),
            /** select: one per choice; quantity: exactly one (the unit); yesno: exactly one (yes). */
            choices: z
              .array(z.object({ label: Name, sortOrder: SortOrder.default(0), prices: PriceList }).strict())
              .min(1)
              .max(100),
          })
          .strict()
          .refine((o) => o.kind === 'select' || o.choices.length === 1, {
            message: 'a quantity or yes/no option has exactly one choice',
            path: ['choices'],
          })
          .refine((o) => o.maxQuantity === null || o.maxQuantity >= o.minQuantity, {
            message: 'must be at least minQuantity',
            path: ['maxQuantity'],
          }),
      )
      .max(50),
  })
  .strict();
export type OptionsBody = z.infer<typeof OptionsBody>;

export const AddonsBody = z
  .object({
    addons: z
      .array(z.object({ name: Name, description: Description.default(''), prices: PriceList }).strict())
      .max(50),
  })
  .strict();
export type AddonsBody = z.infer<typeof AddonsBody>;

export const Tld = z
  .string()
  .max(64)
  .transform((s) => s.trim().toLowerCase())
  .pipe(z.string().regex(/^\.[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'a TLD like .com or .co.uk'));
export const TldPricesBody = z
  .object({
    prices: z
      .array(
        z
          .object({
            currency: CurrencyCode,
            years: z.number().int().min(1).max(10),
            register: Amount,
            renew: Amount,
            transfer: Amount,
          })
          .strict(),
      )
      .min(1)
      .max(100)
      .superRefine((ps, ctx) => {
        const seen = new Set<string>();
        ps.forEach((p, i) => {
          const key = `${p.currency}/${p.years}`;
          if (seen.has(key))
            ctx.addIssue({ code: 'custom', message: `duplicate ${key}`, path: [i, 'years'] });
          seen.add(key);
        });
      }),
  })
  .strict();

const offeringFields = {
  enabled: z.boolean(),
  groupId: z.uuid().nullable(),
  prices: PriceList,
  /** The reseller's name/description of the product on its storefront; null: the platform's again. */
  name: Name.nullable(),
  description: Description.nullable(),
};
/** PUT /v1/offerings/:productId: `enabled` required, the rest as PATCH (not sent: stays). */
export const OfferingBody = z.object(offeringFields).partial().required({ enabled: true }).strict();
export type OfferingBody = z.infer<typeof OfferingBody>;
/** PATCH /v1/offerings/:productId: fields not sent stay as they are. */
export const OfferingPatch = z.object(offeringFields).partial().strict();
export type OfferingPatch = z.infer<typeof OfferingPatch>;

const PromotionFields = z.object({
  code: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only'),
  description: Description.default(''),
  /** Percent in basis points (10% = 1000), or fixed amounts per currency. */
  discount: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('percent'), bps: z.number().int().min(1).max(10_000) }).strict(),
    z
      .object({
        kind: z.literal('fixed'),
        amounts: z
          .record(CurrencyCode, Amount.min(1))
          .refine((a) => Object.keys(a).length > 0, 'at least one currency'),
      })
      .strict(),
  ]),
  appliesTo: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('order') }).strict(),
    z.object({ kind: z.literal('products'), productIds: z.array(z.uuid()).min(1).max(500) }).strict(),
    z.object({ kind: z.literal('groups'), groupIds: z.array(z.uuid()).min(1).max(500) }).strict(),
  ]),
  cycles: z.array(BillingCycle).max(8).default([]),
  recurrence: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('first_payment') }).strict(),
      z
        .object({ kind: z.literal('recurring'), cycles: z.number().int().min(1).max(1000).nullable() })
        .strict(),
    ])
    .default({ kind: 'first_payment' }),
  freeSetup: z.boolean().default(false),
  startsAt: IsoDateTime.nullable().default(null),
  endsAt: IsoDateTime.nullable().default(null),
  maxUses: z.number().int().min(1).max(10_000_000).nullable().default(null),
  maxUsesPerClient: z.number().int().min(1).max(1_000_000).nullable().default(null),
  newClientsOnly: z.boolean().default(false),
  active: z.boolean().default(true),
});
const datesInOrder = (p: { startsAt?: string | null; endsAt?: string | null }) =>
  !p.startsAt || !p.endsAt || Date.parse(p.startsAt) < Date.parse(p.endsAt);
export const PromotionInput = PromotionFields.strict().refine(datesInOrder, {
  message: 'must be after startsAt',
  path: ['endsAt'],
});
export type PromotionInput = z.infer<typeof PromotionInput>;
export const PromotionPatch = PromotionFields.partial().strict();
export type PromotionPatch = z.infer<typeof PromotionPatch>;

const ProductItem = z
  .object({
    productId: z.uuid(),
    cycle: BillingCycle,
    quantity: z.number().int().min(1).max(1000).default(1),
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
  })
  .strict();
const DomainItem = z
  .object({
    domain: z
      .string()
      .trim()
      .toLowerCase()
      .max(253)
      .regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/, 'a domain name like example.com'),
    action: z.enum(['register', 'renew', 'transfer']),
    years: z.number().int().min(1).max(10).default(1),
  })
  .strict();
export const QuoteInput = z
  .object({
    currency: CurrencyCode,
    items: z
      .array(z.union([ProductItem, DomainItem]))
      .min(1)
      .max(100),
    promoCode: z.string().trim().min(1).max(64).optional(),
    /**
     * Staff quoting for a client of the tenant (422 catalog.client_unknown otherwise; a client created a
     * moment ago may need a retry); a client always quotes for itself.
     */
    clientId: z
      .uuid()
      .optional()
      .describe('Staff only: a client of the quoting tenant (a client always quotes for itself)'),
    /** Admin only: quote in a reseller's storefront (default: the platform's). */
    tenantId: z.uuid().optional(),
  })
  .strict();
export type QuoteInput = z.infer<typeof QuoteInput>;
export type QuoteProductItem = z.infer<typeof ProductItem>;
export type QuoteDomainItem = z.infer<typeof DomainItem>;
