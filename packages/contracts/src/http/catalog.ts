import { z } from 'zod';
import { BillingCycle } from '../events/billing';
import { ProductType, ProvisioningModule } from '../events/catalog';
import { Currency, Domain, Id } from '../events/common';

// --- the answers of catalog's HTTP API, as they go on the wire ---
// Dates are ISO 8601 strings; money is integer minor units of the currency next to it (a JSON number,
// never beyond the safe integer range), never a float or a decimal string.

const Timestamp = z.iso.datetime();
/** A non-negative amount in integer minor units (cents; yen for JPY). */
const Amount = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Name = z.string().min(1).max(200);
const SortOrder = z.number().int().min(0);
const Tld = z
  .string()
  .max(64)
  .regex(/^\.[a-z0-9-]+(\.[a-z0-9-]+)*$/, 'a TLD like .com or .co.uk');
const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });

/** One price of a product, an offering, an option choice or an add-on. */
export const PriceView = z.object({
  currency: Currency,
  cycle: BillingCycle,
  price: Amount.describe('Per period of the cycle (once for onetime), in minor units of currency'),
  setupFee: Amount,
});
export type PriceView = z.infer<typeof PriceView>;

/** PUT /v1/products/:id/prices and /wholesale-prices: the prices now stored. */
export const PriceViewList = itemsOf(PriceView);
export type PriceViewList = z.infer<typeof PriceViewList>;

export const ProductGroupView = z.object({
  id: Id,
  tenantId: Id,
  name: Name,
  description: z.string(),
  sortOrder: SortOrder,
  visible: z.boolean(),
});
export type ProductGroupView = z.infer<typeof ProductGroupView>;

/** GET /v1/product-groups: in sort order (every tenant's, for an admin that names none). */
export const ProductGroupList = itemsOf(ProductGroupView);
export type ProductGroupList = z.infer<typeof ProductGroupList>;

// --- per-module product configuration (validated on write with these schemas; defaults filled in) ---

const PanelPackage = z.string().trim().min(1).max(100);

export const CpanelModuleConfig = z
  .object({
    package: PanelPackage.describe('WHM package name'),
    reseller: z
      .boolean()
      .default(false)
      .describe('Create a WHM reseller account instead of a cPanel account'),
    acl: z.string().trim().min(1).max(100).optional().describe('WHM ACL list for reseller accounts'),
    dedicatedIp: z.boolean().default(false),
  })
  .strict();

export const PleskModuleConfig = z
  .object({
    servicePlan: PanelPackage,
    reseller: z.boolean().default(false),
    resellerPlan: PanelPackage.optional().describe('Required for a reseller product'),
  })
  .strict()
  .refine((c) => !c.reseller || c.resellerPlan !== undefined, {
    message: 'a Plesk reseller product needs a resellerPlan',
    path: ['resellerPlan'],
  });

export const DirectAdminModuleConfig = z
  .object({
    package: PanelPackage,
    reseller: z.boolean().default(false),
    ip: z.enum(['shared', 'dedicated']).default('shared'),
  })
  .strict();

export const RegistrarModuleConfig = z
  .object({ registrar: z.enum(['enom', 'resellerclub', 'namecheap', 'openprovider', 'internetbs']) })
  .strict();

export const NoModuleConfig = z.object({}).strict();

/** Each provisioning module's configuration schema; unknown keys are refused (typos fail loudly). */
export const MODULE_CONFIG_SCHEMAS = {
  cpanel: CpanelModuleConfig,
  plesk: PleskModuleConfig,
  directadmin: DirectAdminModuleConfig,
  registrar: RegistrarModuleConfig,
  none: NoModuleConfig,
} as const satisfies Record<z.infer<typeof ProvisioningModule>, z.ZodType>;

/** The fields of `shape`, plus `module` and the `moduleConfig` of that module. */
const withModuleConfig = <S extends z.ZodRawShape>(shape: S) =>
  z.discriminatedUnion('module', [
    z.object({ ...shape, module: z.literal('cpanel'), moduleConfig: MODULE_CONFIG_SCHEMAS.cpanel }),
    z.object({ ...shape, module: z.literal('plesk'), moduleConfig: MODULE_CONFIG_SCHEMAS.plesk }),
    z.object({ ...shape, module: z.literal('directadmin'), moduleConfig: MODULE_CONFIG_SCHEMAS.directadmin }),
    z.object({ ...shape, module: z.literal('registrar'), moduleConfig: MODULE_CONFIG_SCHEMAS.registrar }),
    z.object({ ...shape, module: z.literal('none'), moduleConfig: MODULE_CONFIG_SCHEMAS.none }),
  ]);

export const ProductVisibility = z.enum(['visible', 'hidden', 'retired']);
export type ProductVisibility = z.infer<typeof ProductVisibility>;

const productFields = {
  id: Id,
  tenantId: Id,
  groupId: Id,
  name: Name,
  description: z.string(),
  type: ProductType,
  visibility: ProductVisibility,
  resellable: z.boolean().describe('A platform product resellers may resell'),
  sortOrder: SortOrder,
  createdAt: Timestamp,
  updatedAt: Timestamp,
};

/** A product with its module configuration, as its owner (and admins) see it. */
export const ProductView = withModuleConfig(productFields);
export type ProductView = z.infer<typeof ProductView>;

/** GET /v1/products: in sort order (every tenant's, for an admin that names none). */
export const ProductList = itemsOf(ProductView);
export type ProductList = z.infer<typeof ProductList>;

export const ConfigOptionKind = z
  .enum(['select', 'quantity', 'yesno'])
  .describe(
    'select: one choice among several; quantity: a number of the one unit; yesno: the one choice or not',
  );

const configOptionFields = {
  id: Id,
  productId: Id,
  name: Name,
  kind: ConfigOptionKind,
  minQuantity: z.number().int().min(0),
  maxQuantity: z.number().int().min(1).nullable().describe('null: no upper limit'),
  sortOrder: SortOrder,
};
const choiceFields = { id: Id, label: Name, sortOrder: SortOrder };

/** A configurable option of a product with its choices (PUT /v1/products/:id/options). */
export const ConfigOptionView = z.object({
  ...configOptionFields,
  choices: z.array(z.object(choiceFields)).min(1),
});
export type ConfigOptionView = z.infer<typeof ConfigOptionView>;

export const ConfigOptionList = itemsOf(ConfigOptionView);
export type ConfigOptionList = z.infer<typeof ConfigOptionList>;

/** An add-on of a product (PUT /v1/products/:id/addons). */
export const AddonView = z.object({ id: Id, productId: Id, name: Name, description: z.string() });
export type AddonView = z.infer<typeof AddonView>;

export const AddonList = itemsOf(AddonView);
export type AddonList = z.infer<typeof AddonList>;

/** GET /v1/products/:id: the product with its prices, its options' and add-ons' prices. */
export const ProductDetailView = withModuleConfig({
  ...productFields,
  prices: z.array(PriceView),
  wholesale: z
    .array(PriceView)
    .optional()
    .describe('What resellers pay for it; shown to admins only (empty unless the product is resellable)'),
  options: z.array(
    z.object({
      ...configOptionFields,
      choices: z.array(z.object({ ...choiceFields, prices: z.array(PriceView) })).min(1),
    }),
  ),
  addons: z.array(AddonView.extend({ prices: z.array(PriceView) })),
});
export type ProductDetailView = z.infer<typeof ProductDetailView>;

// --- reseller offerings ---

/** A platform product as a reseller sees it when choosing what to resell: none of the platform's setup. */
export const ResellableProductView = z.object({
  id: Id,
  name: Name,
  description: z.string(),
  type: ProductType,
  module: ProvisioningModule,
});
export type ResellableProductView = z.infer<typeof ResellableProductView>;

/** One resellable platform product, what the reseller pays for it and what it does with it. */
const offeringWhiteLabel = {
  storefrontId: Id.nullable().describe(
    'The id the reseller’s clients see for this product (storefront, quotes, orders, services): an alias of the platform’s id that only catalog can map back; null until first offered',
  ),
  name: Name.nullable().describe(
    'The reseller’s name of the product on its storefront; null: the platform’s',
  ),
  description: z
    .string()
    .max(5000)
    .nullable()
    .describe('The reseller’s description on its storefront; null: the platform’s'),
};

export const OfferingView = z.object({
  product: ResellableProductView,
  ...offeringWhiteLabel,
  wholesale: z.array(PriceView).describe('What the reseller pays the platform'),
  enabled: z.boolean().describe('On sale in the reseller’s storefront'),
  groupId: Id.nullable().describe('The reseller’s product group it is listed in; null: “More products”'),
  retail: z.array(PriceView).describe('What the reseller’s clients pay'),
});
export type OfferingView = z.infer<typeof OfferingView>;

/** GET /v1/offerings. */
export const OfferingList = itemsOf(OfferingView);
export type OfferingList = z.infer<typeof OfferingList>;

/** PUT /v1/offerings/:productId: the reseller's offer of the product as now stored. */
export const ResellerOffering = z.object({
  productId: Id,
  ...offeringWhiteLabel,
  storefrontId: Id,
  enabled: z.boolean(),
  groupId: Id.nullable(),
  retail: z.array(PriceView),
});
export type ResellerOffering = z.infer<typeof ResellerOffering>;

// --- domain pricing ---

/** The price of registering, renewing or transferring a domain of a TLD for a number of years. */
export const DomainPriceView = z.object({
  tenantId: Id,
  tld: Tld,
  currency: Currency,
  years: z.number().int().min(1).max(10),
  register: Amount,
  renew: Amount,
  transfer: Amount,
});
export type DomainPriceView = z.infer<typeof DomainPriceView>;

/** GET /v1/domain-pricing and PUT /v1/domain-pricing/:tld. */
export const DomainPriceList = itemsOf(DomainPriceView);
export type DomainPriceList = z.infer<typeof DomainPriceList>;

// --- promotions ---

const PromotionCode = z
  .string()
  .max(64)
  .regex(/^[A-Z0-9_-]{1,64}$/)
  .describe('Stored upper-case; matched case-insensitively');

export const PromotionDiscountView = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('percent'),
    bps: z.number().int().min(1).max(10_000).describe('Basis points: 10% = 1000'),
  }),
  z.object({
    kind: z.literal('fixed'),
    amounts: z
      .record(Currency, Amount.min(1))
      .describe('Minor units off, per currency; a currency without an amount cannot use the promotion'),
  }),
]);
export type PromotionDiscountView = z.infer<typeof PromotionDiscountView>;

export const PromotionAppliesToView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('order') }),
  z.object({ kind: z.literal('products'), productIds: z.array(Id).min(1) }),
  z.object({ kind: z.literal('groups'), groupIds: z.array(Id).min(1) }),
]);
export type PromotionAppliesToView = z.infer<typeof PromotionAppliesToView>;

export const PromotionRecurrenceView = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('first_payment') }),
  z.object({
    kind: z.literal('recurring'),
    cycles: z
      .number()
      .int()
      .min(1)
      .nullable()
      .describe('Renewals discounted after the first payment; null: for as long as it runs'),
  }),
]);
export type PromotionRecurrenceView = z.infer<typeof PromotionRecurrenceView>;

export const PromotionView = z.object({
  id: Id,
  tenantId: Id,
  code: PromotionCode,
  description: z.string(),
  discount: PromotionDiscountView,
  appliesTo: PromotionAppliesToView,
  cycles: z.array(BillingCycle).describe('Empty: every cycle'),
  recurrence: PromotionRecurrenceView,
  freeSetup: z.boolean(),
  startsAt: Timestamp.nullable().describe('Valid from (inclusive)'),
  endsAt: Timestamp.nullable().describe('Valid until (exclusive)'),
  maxUses: z.number().int().min(1).nullable(),
  maxUsesPerClient: z.number().int().min(1).nullable(),
  newClientsOnly: z.boolean(),
  redeemed: z.number().int().min(0).describe('Uses counted so far'),
  active: z.boolean(),
});
export type PromotionView = z.infer<typeof PromotionView>;

/** GET /v1/promotions: in code order. */
export const PromotionList = itemsOf(PromotionView);
export type PromotionList = z.infer<typeof PromotionList>;

/**
 * Why a promotion does not apply to a quote: the answer is a 422 problem with the code
 * `catalog.promotion_<reason>`, naming `promoCode`.
 */
export const PromotionRefusalReason = z.enum([
  'wrong_tenant',
  'inactive',
  'not_yet_valid',
  'expired',
  'limit_reached',
  'client_limit_reached',
  'new_clients_only',
  'currency_not_supported',
  'not_applicable',
]);
export type PromotionRefusalReason = z.infer<typeof PromotionRefusalReason>;

// --- quotes ---

const lineAmounts = {
  description: z.string().min(1),
  quantity: z.number().int().min(1),
  unitPrice: Amount.describe('One unit for one period, options included'),
  setupFee: Amount.describe('One unit'),
  subtotal: Amount.describe('unitPrice × quantity'),
  setupTotal: Amount.describe('setupFee × quantity'),
  discount: Amount.describe('Off the first payment (the price and, with free setup, the setup fee)'),
  total: Amount.describe('subtotal + setupTotal − discount'),
  recurringDiscount: Amount.describe('Off each renewal (0 unless the promotion recurs)'),
};

const quoteOptionsView = z.array(
  z.object({
    optionId: Id,
    name: Name,
    choiceId: Id,
    quantity: z.number().int().min(0).describe('1 for a select or yes/no option'),
  }),
);
const domainDetails = {
  domain: Domain,
  tld: Tld,
  action: z.enum(['register', 'renew', 'transfer']),
  years: z.number().int().min(1).max(10),
};

/**
 * A quote line as the client (and the storefront's staff) see it. White-label: nothing tells a resold
 * product from the tenant's own, nor how it is provisioned — no source, module, module configuration or
 * wholesale price (those are in InternalQuoteLineView, for our own services only).
 */
export const QuoteLineView = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('product'),
    productId: Id,
    cycle: BillingCycle,
    ...lineAmounts,
    details: z.object({ options: quoteOptionsView, productType: ProductType.optional() }),
  }),
  z.object({
    kind: z.literal('addon'),
    productId: z.null(),
    cycle: BillingCycle,
    ...lineAmounts,
    details: z.object({ addonId: Id, forProductId: Id }),
  }),
  z.object({
    kind: z.literal('domain'),
    productId: z.null(),
    cycle: z.null(),
    ...lineAmounts,
    details: z.object(domainDetails),
  }),
]);
export type QuoteLineView = z.infer<typeof QuoteLineView>;

export const QuoteTotalsView = z.object({
  subtotal: Amount,
  setupTotal: Amount,
  discountTotal: Amount,
  total: Amount,
});
export type QuoteTotalsView = z.infer<typeof QuoteTotalsView>;

/** The promotion a quote applied, with its discount in the quote's currency. */
export const QuotePromotionView = z.object({
  id: Id,
  code: PromotionCode,
  discount: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('percent'), bps: z.number().int().min(1).max(10_000) }),
    z.object({ kind: z.literal('fixed'), amount: Amount.min(1) }),
  ]),
  appliesTo: z.enum(['order', 'products', 'groups']),
  recurrence: PromotionRecurrenceView,
  freeSetup: z.boolean(),
});
export type QuotePromotionView = z.infer<typeof QuotePromotionView>;

export const QUOTE_ROUNDING_RULE = 'percent discounts are rounded half-up per line, in minor units';

/**
 * What the platform charges the reseller for one unit of a resold line for one period of its cycle, in the
 * quote's currency (integer minor units): for a product, the platform's wholesale price of the product for
 * the same currency and cycle plus the platform's prices of the chosen options (a reseller resells options
 * at the platform's prices); for an add-on of a resold product, the platform's price of the add-on.
 * Multiply by the line's quantity. null: the tenant's own line (nothing is owed to the platform).
 */
export const WholesaleView = z.object({
  price: Amount.describe('One unit for one period of the line’s cycle'),
  setupFee: Amount.describe('One unit, once'),
});
export type WholesaleView = z.infer<typeof WholesaleView>;

const LineSource = z
  .enum(['own', 'resold'])
  .describe('own: the storefront tenant’s own; resold: a platform product (or its add-on) it resells');
const internalOf = {
  source: LineSource,
  wholesale: WholesaleView.nullable().describe(
    'Resold lines: what the reseller owes the platform. A reseller’s domain line: the platform’s price of the same action, TLD and years when the platform prices it (setupFee 0). Otherwise null',
  ),
};

/**
 * A quote line with what only our own services may see (billing stores it in the order's snapshot):
 * QuoteLineView plus, in `details`, the source, the provisioning module and its configuration, the
 * platform's product id of a resold product and the wholesale price owed to the platform.
 */
export const InternalQuoteLineView = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('product'),
    productId: Id,
    cycle: BillingCycle,
    ...lineAmounts,
    details: z.object({
      options: quoteOptionsView,
      productType: ProductType.optional(),
      ...internalOf,
      module: ProvisioningModule,
      moduleConfig: z
        .record(z.string().max(64), z.unknown())
        .optional()
        .describe('The product’s module configuration, for the provisioning request billing makes later'),
      platformProductId: Id.nullable().describe(
        'The platform’s product a resold line is (its productId is the reseller’s alias, what the client sees); null for own',
      ),
    }),
  }),
  z.object({
    kind: z.literal('addon'),
    productId: z.null(),
    cycle: BillingCycle,
    ...lineAmounts,
    details: z.object({ addonId: Id, forProductId: Id, ...internalOf }),
  }),
  z.object({
    kind: z.literal('domain'),
    productId: z.null(),
    cycle: z.null(),
    ...lineAmounts,
    details: z.object({ ...domainDetails, ...internalOf }),
  }),
]);
export type InternalQuoteLineView = z.infer<typeof InternalQuoteLineView>;

/** The priced cart, as both the quote answer and its stored snapshot carry it. */
const pricedCart = {
  currency: Currency,
  lines: z.array(QuoteLineView),
  totals: QuoteTotalsView,
  promotion: QuotePromotionView.nullable(),
};
const snapshotHead = {
  version: z.literal(1),
  quoteId: Id,
  createdAt: Timestamp,
  tenantId: Id.describe('Whose storefront priced it'),
  clientId: Id.nullable().describe('null: staff quoted without naming a client'),
};

/** The snapshot of a client's (or staff's) quote: the public cart, nothing internal. */
export const PublicQuoteSnapshot = z.object({
  ...snapshotHead,
  ...pricedCart,
  rounding: z.literal(QUOTE_ROUNDING_RULE),
});
export type PublicQuoteSnapshot = z.infer<typeof PublicQuoteSnapshot>;

/**
 * Everything billing stores with the order: it can rebuild the invoice lines, make the provisioning
 * requests and bill the reseller's wholesale without asking again. INTERNAL: its lines are
 * InternalQuoteLineView — never show it to a client as it is (PublicQuoteSnapshot.parse() strips the
 * internal fields).
 */
export const QuoteSnapshot = z.object({
  ...snapshotHead,
  ...pricedCart,
  lines: z.array(InternalQuoteLineView),
  rounding: z.literal(QUOTE_ROUNDING_RULE),
});
export type QuoteSnapshot = z.infer<typeof QuoteSnapshot>;

/** POST /v1/quotes: the priced cart and its (public) snapshot. */
export const QuoteView = z.object({ quoteId: Id, ...pricedCart, snapshot: PublicQuoteSnapshot });
export type QuoteView = z.infer<typeof QuoteView>;

/** POST /internal/v1/quotes (CATALOG_INTERNAL.quotes): the same quote with the internal detail of each line. */
export const InternalQuoteView = z.object({
  quoteId: Id,
  ...pricedCart,
  lines: z.array(InternalQuoteLineView),
  snapshot: QuoteSnapshot,
});
export type InternalQuoteView = z.infer<typeof InternalQuoteView>;

// --- the public storefront (prices in the requested currency, so without it) ---

export const StorefrontPriceView = z.object({ cycle: BillingCycle, price: Amount, setupFee: Amount });
export type StorefrontPriceView = z.infer<typeof StorefrontPriceView>;

export const StorefrontProductView = z.object({
  id: Id,
  name: Name,
  description: z.string(),
  type: ProductType,
  prices: z.array(StorefrontPriceView).min(1),
  options: z.array(
    z.object({
      id: Id,
      name: Name,
      kind: ConfigOptionKind,
      minQuantity: z.number().int().min(0),
      maxQuantity: z.number().int().min(1).nullable(),
      choices: z.array(z.object({ id: Id, label: Name, prices: z.array(StorefrontPriceView) })).min(1),
    }),
  ),
  addons: z.array(
    z.object({ id: Id, name: Name, description: z.string(), prices: z.array(StorefrontPriceView) }),
  ),
});
export type StorefrontProductView = z.infer<typeof StorefrontProductView>;

/** GET /v1/storefront/:id/products: visible groups in order, each with the products on sale in it. */
export const StorefrontProducts = z.object({
  tenantId: Id,
  currency: Currency,
  groups: z.array(
    z.object({
      id: Id.nullable().describe('null: products the reseller resells without a group of its own'),
      name: Name,
      description: z.string(),
      products: z.array(StorefrontProductView).min(1),
    }),
  ),
});
export type StorefrontProducts = z.infer<typeof StorefrontProducts>;

/** GET /v1/storefront/:id/domains: the domain prices in the requested currency. */
export const StorefrontDomains = z.object({
  tenantId: Id,
  currency: Currency,
  tlds: z.array(
    z.object({
      tld: Tld,
      years: z.number().int().min(1).max(10),
      register: Amount,
      renew: Amount,
      transfer: Amount,
    }),
  ),
});
export type StorefrontDomains = z.infer<typeof StorefrontDomains>;

// --- internal: promotion reservations (billing → catalog, with the shared service key) ---

/**
 * Service-key routes billing calls while placing and cancelling orders:
 *   PUT    /internal/v1/tenants/:tenantId/promotion-reservations/:orderId → PromotionReservation
 *          (body PromotionReservationInput): reserves one use of the promotion for the order, or refuses it
 *          with the reason; idempotent per order (the same order is answered the same way again)
 *   DELETE /internal/v1/tenants/:tenantId/promotion-reservations/:orderId → PromotionRelease: gives the use
 *          back (a cancelled order); idempotent
 * A reservation counts as the promotion's use: `billing.order.placed.v1` for the same order is not counted
 * again.
 */
export const CATALOG_INTERNAL = {
  /**
   * POST (body: catalog's quote input, as POST /v1/quotes) → InternalQuoteView. The shared service key AND
   * the caller's own bearer token: catalog prices the cart with exactly the public quote's decisions
   * (storefront and client from the token; staff may name clientId / tenantId), then adds each line's
   * internal detail. Never routed by the gateway. A clientId staff name must be a client of the quoting
   * tenant as catalog knows it from identity.client.created.v1: otherwise 422 `catalog.client_unknown`
   * naming clientId (on POST /v1/quotes too) — for a client created a moment ago, retry shortly.
   */
  quotes: '/internal/v1/quotes',
  promotionReservation: (tenantId: string, orderId: string) =>
    `/internal/v1/tenants/${encodeURIComponent(tenantId)}/promotion-reservations/${encodeURIComponent(orderId)}`,
} as const;

export const PromotionReservationInput = z.object({ promotionId: Id, clientId: Id }).strict();
export type PromotionReservationInput = z.infer<typeof PromotionReservationInput>;

export const PromotionReservation = z.discriminatedUnion('status', [
  z.object({ status: z.literal('reserved'), promotionId: Id, orderId: Id }),
  z.object({
    status: z.literal('refused'),
    promotionId: Id,
    orderId: Id,
    reason: PromotionRefusalReason,
  }),
]);
export type PromotionReservation = z.infer<typeof PromotionReservation>;

export const PromotionRelease = z.object({
  orderId: Id,
  status: z.enum(['released', 'not_reserved']).describe('not_reserved: nothing was held for this order'),
});
export type PromotionRelease = z.infer<typeof PromotionRelease>;
