import { QUOTE_ROUNDING_RULE } from '@geminis/contracts';
import {
  allTenants,
  BusinessRuleError,
  newId,
  tenantScope,
  type AuthContext,
  type Database,
} from '@geminis/service-kit';
import { listDomainPrices } from '../store/domain-prices.store';
import { isClientOf, recordClient } from '../store/clients.store';
import { clientHasOrders } from '../store/orders.store';
import { type OwnedPrice } from '../store/prices.store';
import { countClientRedemptions, findPromotionByCode, platformHasCode } from '../store/promotions.store';
import { isPlatform, PLATFORM_TENANT_ID } from './context';
import { type Cycle } from './cycles';
import { clientUnknown, invalidField } from './errors';
import { type QuoteDomainItem, type QuoteInput, type QuoteProductItem } from './inputs';
import { toJsonMinor } from './money';
import { checkPromotion, REFUSAL_DETAIL, type Promotion, type PromotionRefusal } from './promotion';
import { priceQuote, type PricedLine, type QuotedLine, type QuoteResult } from './quote';
import { type SellableCatalog, type SellableCatalogService } from './sellable.service';

export interface QuoteParties {
  tenantId: string;
  clientId: string | undefined;
  /** The client is the caller itself (a client's token): identity vouched for it and its tenant. */
  clientFromToken: boolean;
}

const unavailable = (field: string, message: string) =>
  new BusinessRuleError('catalog.price_unavailable', `${field}: ${message}`, {
    fieldErrors: [{ field, message }],
  });

export const promotionRefused = (reason: PromotionRefusal) =>
  new BusinessRuleError(`catalog.promotion_${reason}`, REFUSAL_DETAIL[reason], {
    fieldErrors: [{ field: 'promoCode', message: REFUSAL_DETAIL[reason] }],
  });

const priceFor = (prices: OwnedPrice[], ownerId: string, cycle: Cycle) =>
  prices.find((p) => p.ownerId === ownerId && p.cycle === cycle);

function productLines(catalog: SellableCatalog, item: QuoteProductItem, i: number): PricedLine[] {
  const at = `items.${i}`;
  const s = catalog.products.find((p) => p.product.id === item.productId);
  if (!s) throw invalidField('catalog.invalid_quote', `${at}.productId`, 'no such product on sale here');
  const base = priceFor(s.prices, s.product.id, item.cycle);
  if (!base) throw unavailable(`${at}.cycle`, `not sold ${item.cycle} in this currency`);
  let unitPrice = base.price;
  let unitSetupFee = base.setupFee;
  // A resold product: the reseller owes the platform its wholesale price for the same currency and cycle
  // (plus the options, which it resells at the platform's prices). Without one it is not sold in this
  // currency/cycle — said exactly as for a missing retail price, so a client cannot tell the difference.
  const resold = s.source === 'resold';
  const wholesaleBase = resold ? priceFor(s.wholesale, s.product.id, item.cycle) : undefined;
  if (resold && !wholesaleBase) throw unavailable(`${at}.cycle`, `not sold ${item.cycle} in this currency`);
  let optionsPrice = 0n;
  let optionsSetupFee = 0n;
  const chosen: Record<string, unknown>[] = [];
  item.options.forEach((sel, j) => {
    const field = `${at}.options.${j}`;
    const option = s.options.find((o) => o.id === sel.optionId);
    if (!option)
      throw invalidField('catalog.invalid_quote', `${field}.optionId`, 'not an option of this product');
    let choiceId: string | undefined;
    let qty = 1n;
    if (option.kind === 'select') {
      choiceId = option.choices.find((c) => c.id === sel.choiceId)?.id;
      if (!choiceId)
        throw invalidField('catalog.invalid_quote', `${field}.choiceId`, 'not a choice of this option');
    } else if (option.kind === 'quantity') {
      const q = sel.quantity ?? option.minQuantity;
      if (q < option.minQuantity || (option.maxQuantity !== null && q > option.maxQuantity))
        throw invalidField('catalog.invalid_quote', `${field}.quantity`, 'outside the allowed range');
      qty = BigInt(q);
      choiceId = option.choices[0]?.id;
    } else {
      if (sel.enabled !== true) return;
      choiceId = option.choices[0]?.id;
    }
    const price = choiceId ? priceFor(s.optionPrices, choiceId, item.cycle) : undefined;
    if (!price) throw unavailable(`${field}.optionId`, `option not sold ${item.cycle} in this currency`);
    optionsPrice += price.price * qty;
    optionsSetupFee += price.setupFee * qty;
    chosen.push({ optionId: option.id, name: option.name, choiceId, quantity: Number(qty) });
  });
  unitPrice += optionsPrice;
  unitSetupFee += optionsSetupFee;
  const lines: PricedLine[] = [
    {
      kind: 'product',
      productId: s.product.id,
      platformProductId: s.platformProductId,
      groupId: s.groupId,
      cycle: item.cycle,
      description: s.product.name,
      quantity: item.quantity,
      unitPrice,
      unitSetupFee,
      details: { options: chosen, productType: s.product.type },
      internal: {
        source: s.source,
        wholesale: wholesaleBase
          ? {
              price: wholesaleBase.price + optionsPrice,
              setupFee: wholesaleBase.setupFee + optionsSetupFee,
            }
          : null,
        extra: {
          module: s.product.module,
          moduleConfig: s.product.moduleConfig,
          platformProductId: s.platformProductId,
        },
      },
    },
  ];
  item.addons.forEach((sel, j) => {
    const addon = s.addons.find((a) => a.id === sel.addonId);
    if (!addon)
      throw invalidField(
        'catalog.invalid_quote',
        `${at}.addons.${j}.addonId`,
        'not an add-on of this product',
      );
    const cycle = sel.cycle ?? item.cycle;
    const price = priceFor(s.addonPrices, addon.id, cycle);
    if (!price) throw unavailable(`${at}.addons.${j}.cycle`, `add-on not sold ${cycle} in this currency`);
    lines.push({
      kind: 'addon',
      productId: null,
      groupId: null,
      cycle,
      description: addon.name,
      quantity: item.quantity,
      unitPrice: price.price,
      unitSetupFee: price.setupFee,
      details: { addonId: addon.id, forProductId: s.product.id },
      // A resold product's add-ons are the platform's, resold at the platform's prices.
      internal: {
        source: s.source,
        wholesale: resold ? { price: price.price, setupFee: price.setupFee } : null,
      },
    });
  });
  return lines;
}

/** The longest TLD with pricing that ends the domain: example.co.uk → .co.uk before .uk. */
function domainLine(
  prices: Awaited<ReturnType<typeof listDomainPrices>>,
  platformPrices: Awaited<ReturnType<typeof listDomainPrices>>,
  item: QuoteDomainItem,
  i: number,
): PricedLine {
  const labels = item.domain.split('.');
  for (let k = 1; k < labels.length; k += 1) {
    const tld = `.${labels.slice(k).join('.')}`;
    const row = prices.find((p) => p.tld === tld && p.years === item.years);
    if (!prices.some((p) => p.tld === tld)) continue;
    if (!row)
      throw unavailable(`items.${i}.years`, `${tld} is not sold for ${item.years} year(s) in this currency`);
    // A reseller's domain: what the platform charges for the same action, TLD and years (in this currency)
    // is what the reseller owes it. The platform's own lines and TLDs the platform does not price: null.
    const platformRow = platformPrices.find((p) => p.tld === tld && p.years === item.years);
    return {
      kind: 'domain',
      productId: null,
      groupId: null,
      cycle: null,
      description: `${item.action} ${item.domain} (${item.years} year${item.years > 1 ? 's' : ''})`,
      quantity: 1,
      unitPrice: row[item.action],
      unitSetupFee: 0n,
      details: { domain: item.domain, tld, action: item.action, years: item.years },
      internal: {
        source: 'own',
        wholesale: platformRow ? { price: platformRow[item.action], setupFee: 0n } : null,
      },
    };
  }
  throw unavailable(`items.${i}.domain`, 'this TLD is not sold in this currency');
}

function detailsOf(l: QuotedLine, internal: boolean): Record<string, unknown> | undefined {
  if (!internal || !l.internal) return l.details;
  const { source, wholesale, extra } = l.internal;
  return {
    ...l.details,
    source,
    wholesale: wholesale
      ? { price: toJsonMinor(wholesale.price), setupFee: toJsonMinor(wholesale.setupFee) }
      : null,
    ...extra,
  };
}

/**
 * The priced cart as it goes on the wire. `internal`: with each line's internal detail (source, module,
 * moduleConfig, platformProductId, wholesale) for our own services; without it, a client cannot tell a
 * resold line from the tenant's own (white-label).
 */
export function quoteView(quote: QuoteResult, internal = false) {
  return {
    currency: quote.currency,
    lines: quote.lines.map((l) => {
      const details = detailsOf(l, internal);
      return {
        kind: l.kind,
        productId: l.productId,
        cycle: l.cycle,
        description: l.description,
        quantity: l.quantity,
        unitPrice: toJsonMinor(l.unitPrice),
        setupFee: toJsonMinor(l.unitSetupFee),
        subtotal: toJsonMinor(l.subtotal),
        setupTotal: toJsonMinor(l.setupTotal),
        discount: toJsonMinor(l.discount),
        total: toJsonMinor(l.total),
        recurringDiscount: toJsonMinor(l.recurringDiscount),
        ...(details ? { details } : {}),
      };
    }),
    totals: {
      subtotal: toJsonMinor(quote.totals.subtotal),
      setupTotal: toJsonMinor(quote.totals.setupTotal),
      discountTotal: toJsonMinor(quote.totals.discountTotal),
      total: toJsonMinor(quote.totals.total),
    },
  };
}

/**
 * A cart whose amounts (prices × option quantities × quantities, summed) go beyond what JSON and billing's
 * arithmetic hold exactly is refused as a business rule, never answered 500 or rounded.
 */
function viewWithinRange(quote: QuoteResult, internal: boolean): ReturnType<typeof quoteView> {
  try {
    return quoteView(quote, internal);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new BusinessRuleError(
      'catalog.quote_too_large',
      'the amounts of this cart are too large to quote',
      {
        fieldErrors: [{ field: 'items', message: 'the amounts of this cart are too large to quote' }],
      },
    );
  }
}

/**
 * quote(cart, client, promoCode?): line items priced in the tenant's storefront with at most one
 * promotion, and a snapshot billing stores with the order. A promotion that does not apply is an error
 * saying exactly why (catalog.promotion_<reason>).
 */
/** Whose client an id is, asked of identity (catalog's upstream/identity.client.ts). */
export interface ClientDirectory {
  /** undefined: identity has no such client; throws a 503 when identity cannot answer. */
  clientTenant(clientId: string): Promise<{ tenantId: string; createdAt: string } | undefined>;
}

export function createQuotesService(deps: {
  db: Database;
  sellable: SellableCatalogService;
  /** Asked once about a client catalog never heard of; without it such a client stays unknown. */
  clients?: ClientDirectory;
  now?: () => Date;
}) {
  const { db, sellable } = deps;
  const now = deps.now ?? (() => new Date());

  /**
   * A client catalog never heard of (created before catalog kept clients, or its
   * identity.client.created.v1 dead-lettered): identity says whose it is, and a client of this tenant is
   * remembered as the event would have (re-publishing the event is not safe: mails, tenant webhooks).
   * Another tenant's client gets exactly the answer of an id nobody has.
   */
  async function learnClient(tenantId: string, clientId: string): Promise<void> {
    const found = await deps.clients?.clientTenant(clientId);
    if (!found || found.tenantId.toLowerCase() !== tenantId.toLowerCase()) throw clientUnknown();
    const scope = tenantScope(tenantId);
    await db.withTenant(scope, (tx) => recordClient(tx, scope, { clientId, createdAt: found.createdAt }));
  }

  async function findPromotionFor(tenantId: string, code: string): Promise<Promotion> {
    const scope = tenantScope(tenantId);
    const promo = await db.withTenant(scope, (tx) => findPromotionByCode(tx, scope, code));
    if (promo) return promo;
    if (
      !isPlatform(tenantId) &&
      (await db.withTenant(allTenants, (tx) => platformHasCode(tx, PLATFORM_TENANT_ID, code)))
    )
      throw promotionRefused('wrong_tenant');
    throw new BusinessRuleError('catalog.promotion_unknown', 'there is no promotion with this code', {
      fieldErrors: [{ field: 'promoCode', message: 'unknown code' }],
    });
  }

  return {
    /**
     * Whose storefront and which client: from the token only (admins may name a reseller's tenant). A
     * client quotes for itself (its token says who and in which tenant); staff may name a client, which
     * must then be a client of that tenant (checked by `quote`).
     */
    partiesOf(auth: AuthContext, input: QuoteInput): QuoteParties {
      if (auth.role === 'client')
        return { tenantId: auth.tenantId, clientId: auth.userId, clientFromToken: true };
      if (auth.role === 'reseller')
        return { tenantId: auth.tenantId, clientId: input.clientId, clientFromToken: false };
      return {
        tenantId: input.tenantId ?? PLATFORM_TENANT_ID,
        clientId: input.clientId,
        clientFromToken: false,
      };
    },

    /**
     * Prices the cart. `internal`: the answer (and its snapshot) carries each line's internal detail —
     * for our own services only (POST /internal/v1/quotes); the public answer never does.
     */
    async quote(parties: QuoteParties, input: QuoteInput, opts: { internal?: boolean } = {}) {
      const { tenantId, clientId } = parties;
      const internal = opts.internal === true;
      await sellable.assertStorefront(tenantId);
      const scope = tenantScope(tenantId);
      if (clientId !== undefined && !parties.clientFromToken) {
        const known = await db.withTenant(scope, (tx) => isClientOf(tx, scope, clientId));
        if (!known) await learnClient(tenantId, clientId);
      }
      const catalog = await sellable.load(tenantId, { currency: input.currency, includeHidden: true });
      const hasDomains = input.items.some((i) => 'domain' in i);
      const domainPrices = hasDomains
        ? await db.withTenant(scope, (tx) => listDomainPrices(tx, scope, { currency: input.currency }))
        : [];
      // The platform's prices of the same domains: a reseller's wholesale (internal view only).
      const platform = tenantScope(PLATFORM_TENANT_ID);
      const platformDomainPrices =
        hasDomains && internal && !isPlatform(tenantId)
          ? await db.withTenant(platform, (tx) =>
              listDomainPrices(tx, platform, { currency: input.currency }),
            )
          : [];
      const lines = input.items.flatMap((item, i) =>
        'domain' in item
          ? [domainLine(domainPrices, platformDomainPrices, item, i)]
          : productLines(catalog, item, i),
      );
      let promo: Promotion | undefined;
      if (input.promoCode) {
        promo = await findPromotionFor(tenantId, input.promoCode);
        const client = clientId
          ? await db.withTenant(scope, async (tx) => ({
              isNew: !(await clientHasOrders(tx, scope, clientId)),
              redemptions: await countClientRedemptions(tx, scope, promo!.id, clientId),
            }))
          : undefined;
        const refusal = checkPromotion(promo, {
          tenantId,
          now: now(),
          currency: input.currency,
          lines,
          ...(client ? { client } : {}),
        });
        if (refusal) throw promotionRefused(refusal);
      }
      const priced = priceQuote(input.currency, lines, promo);
      const view = viewWithinRange(priced, internal);
      const quoteId = newId();
      const createdAt = now().toISOString();
      const promotion = promo
        ? {
            id: promo.id,
            code: promo.code,
            discount:
              promo.discount.kind === 'percent'
                ? { kind: 'percent' as const, bps: promo.discount.bps }
                : {
                    kind: 'fixed' as const,
                    amount: toJsonMinor(promo.discount.amounts[input.currency] ?? 0n),
                  },
            appliesTo: promo.appliesTo.kind,
            recurrence: promo.recurrence,
            freeSetup: promo.freeSetup,
          }
        : null;
      return {
        quoteId,
        ...view,
        promotion,
        /** Everything billing stores with the order: it can rebuild the invoice lines without asking again. */
        snapshot: {
          version: 1 as const,
          quoteId,
          createdAt,
          tenantId,
          clientId: clientId ?? null,
          ...view,
          promotion,
          rounding: QUOTE_ROUNDING_RULE,
        },
      };
    },
  };
}

export type QuotesService = ReturnType<typeof createQuotesService>;
