import { isRecurring, type Cycle } from './cycles';
import { minOf, percentOf, sumOf, type Minor } from './money';
import { lineIsEligible, type Promotion } from './promotion';

export type LineKind = 'product' | 'addon' | 'domain';

/** A cart line with its prices already looked up, in the quote's currency. */
export interface PricedLine {
  kind: LineKind;
  productId: string | null;
  /** A resold product line: the platform's id of the product its productId (an alias) stands for. */
  platformProductId?: string | null;
  groupId: string | null;
  cycle: Cycle | null;
  description: string;
  quantity: number;
  /** Recurring (or one-time) price of one unit for one period, options included. */
  unitPrice: Minor;
  unitSetupFee: Minor;
  /** Extra facts kept in the snapshot (selected options, domain, years…). */
  details?: Record<string, unknown>;
  /**
   * What only our own services see, merged into `details` of the internal view (source, provisioning
   * module and configuration, platform product, wholesale owed): never in a client's quote.
   */
  internal?: LineInternal;
}

/** The internal detail of a line (InternalQuoteLineView in @geminis/contracts), amounts still bigint. */
export interface LineInternal {
  source: 'own' | 'resold';
  /** What the platform charges the reseller for one unit for one period (null: the tenant's own). */
  wholesale: { price: Minor; setupFee: Minor } | null;
  /** Product lines: module, moduleConfig, platformProductId. */
  extra?: Record<string, unknown>;
}

export interface QuotedLine extends PricedLine {
  subtotal: Minor;
  setupTotal: Minor;
  /** Discount on the first payment (price and, with free setup, the setup fee). */
  discount: Minor;
  /** subtotal + setupTotal − discount; never negative. */
  total: Minor;
  /** Discount on each renewal after the first payment (0 unless the promotion recurs). */
  recurringDiscount: Minor;
}

export interface QuoteTotals {
  subtotal: Minor;
  setupTotal: Minor;
  discountTotal: Minor;
  total: Minor;
}

export interface QuoteResult {
  currency: string;
  lines: QuotedLine[];
  totals: QuoteTotals;
}

/**
 * Prices a cart, applying at most one promotion already checked by `checkPromotion`.
 * - percent: `percentOf(line subtotal)`, rounded half-up per line (money.ts);
 * - fixed, scoped to products or groups: the amount off each eligible unit, capped at the line subtotal;
 * - fixed, scoped to the order: the amount off the order once, spread over eligible lines in cart order,
 *   each capped at its subtotal — so a fixed discount never makes a line (or the order) negative;
 * - free setup: the whole setup fee of eligible lines;
 * - recurring: the same price discount again on renewals of recurring lines (`recurringDiscount`).
 */
export function priceQuote(currency: string, lines: PricedLine[], promo?: Promotion): QuoteResult {
  let orderFixedLeft: Minor | null =
    promo?.discount.kind === 'fixed' && promo.appliesTo.kind === 'order'
      ? (promo.discount.amounts[currency] ?? 0n)
      : null;

  const quoted = lines.map((line): QuotedLine => {
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1)
      throw new RangeError('quantity must be ≥ 1');
    if (line.unitPrice < 0n || line.unitSetupFee < 0n) throw new RangeError('prices must not be negative');
    const qty = BigInt(line.quantity);
    const subtotal = line.unitPrice * qty;
    const setupTotal = line.unitSetupFee * qty;
    let priceDiscount = 0n;
    let setupDiscount = 0n;
    if (promo && lineIsEligible(promo, line)) {
      const d = promo.discount;
      if (d.kind === 'percent') priceDiscount = percentOf(subtotal, d.bps);
      else if (orderFixedLeft !== null) {
        priceDiscount = minOf(orderFixedLeft, subtotal);
        orderFixedLeft -= priceDiscount;
      } else priceDiscount = minOf((d.amounts[currency] ?? 0n) * qty, subtotal);
      if (promo.freeSetup) setupDiscount = setupTotal;
    }
    const recurs = promo?.recurrence.kind === 'recurring' && line.cycle !== null && isRecurring(line.cycle);
    const discount = priceDiscount + setupDiscount;
    return {
      ...line,
      subtotal,
      setupTotal,
      discount,
      total: subtotal + setupTotal - discount,
      recurringDiscount: recurs ? priceDiscount : 0n,
    };
  });

  return {
    currency,
    lines: quoted,
    totals: {
      subtotal: sumOf(quoted.map((l) => l.subtotal)),
      setupTotal: sumOf(quoted.map((l) => l.setupTotal)),
      discountTotal: sumOf(quoted.map((l) => l.discount)),
      total: sumOf(quoted.map((l) => l.total)),
    },
  };
}
