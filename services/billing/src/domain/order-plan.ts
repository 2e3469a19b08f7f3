import { type QuoteSnapshot } from '@geminis/contracts';
import { addCycle, type Cycle } from './cycles';
import { lineTax, sumOf, type Minor } from './money';

type SnapshotLine = QuoteSnapshot['lines'][number];
type ProductLine = Extract<SnapshotLine, { kind: 'product' }>;
type ProductType = NonNullable<ProductLine['details']['productType']>;

/** An add-on bought with a service: it renews with its own cycle, at its price less any recurring discount. */
export interface AddonPlan {
  addonId: string;
  description: string;
  cycle: Cycle;
  quantity: number;
  recurringAmount: Minor;
}

/** A client service to create for one product line of the order. */
export interface ServicePlan {
  /** null for a domain (catalog prices TLDs, not products). A resold product: the reseller's alias. */
  productId: string | null;
  /** A resold product: the platform's id of it (for provisioning's placement only, never shown); else null. */
  platformProductId: string | null;
  productName: string;
  productType: ProductType;
  module: ProductLine['details']['module'];
  moduleConfig: Record<string, unknown>;
  domain: string | null;
  cycle: Cycle;
  quantity: number;
  /** Each renewal: the line's price less the promotion's recurring discount (setup fees are paid once). */
  recurringAmount: Minor;
  addons: AddonPlan[];
  registrationDate: string;
  nextDueDate: string | null;
  /** A domain renews for the years it was ordered for (months); other services follow their cycle. */
  termMonths: number | null;
  /**
   * A resold domain: what each renewal owes the platform (its renewal price for the term, from the order's
   * renewal quote); null otherwise (and the registration's wholesale applies).
   */
  renewalWholesale: Minor | null;
  /** For a domain: the index of its cart domain (its registration details). */
  domainItem: number | null;
}

/** What a cart's domain renews at (catalog's renewal quote for the same term): its client's price, the platform's. */
export interface DomainRenewal {
  retail: Minor;
  /** The platform's renewal price a reseller owes for it; null: the reseller's own (not resold). */
  wholesale: Minor | null;
}

/** The cycle a domain service shows for its term (4–10 years renew with `termMonths`, shown as annually). */
export const domainCycle = (years: number): Cycle =>
  years === 2 ? 'biennially' : years === 3 ? 'triennially' : 'annually';

/** `date + n months`, clamped to the month's last day (as addCycle). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const total = m - 1 + months;
  const year = y + Math.floor(total / 12);
  const month0 = ((total % 12) + 12) % 12;
  const last = new Date(Date.UTC(year, month0 + 1, 0)).getUTCDate();
  return `${year}-${String(month0 + 1).padStart(2, '0')}-${String(Math.min(d, last)).padStart(2, '0')}`;
}

export interface LinePlan {
  description: string;
  quantity: number;
  unitPrice: Minor;
  setupFee: Minor;
  discount: Minor;
  /** Net: subtotal + setup − discount, as the quote priced it. */
  amount: Minor;
  tax: Minor;
  total: Minor;
  /** Index into `services` of the service this line pays for. */
  service: number | null;
  periodStart: string | null;
  periodEnd: string | null;
}

export interface OrderPlan {
  services: ServicePlan[];
  lines: LinePlan[];
  subtotal: Minor;
  taxTotal: Minor;
  total: Minor;
}

/**
 * The first invoice and the client services of an order, from catalog's snapshot only (later price
 * changes never alter them). Lines come in the snapshot's order: each product line starts an item of the
 * cart (the n-th product line is the n-th item, whose primary domain it carries); its add-on lines follow
 * it and pay for the same service. Tax: `lineTax` of the line's price (on top, or inside it with the tenant's inclusive prices), rounded
 * half-up per line (money.ts).
 */
export function planOrder(
  snapshot: QuoteSnapshot,
  domains: (string | undefined)[],
  today: string,
  taxRateBps: number,
  domainRenewals: DomainRenewal[] = [],
  taxInclusive = false,
): OrderPlan {
  const services: ServicePlan[] = [];
  const lines: LinePlan[] = [];
  let item = -1;
  let domainItem = -1;
  for (const line of snapshot.lines) {
    // the quote's price of the line; with inclusive prices the tax is inside it (amount is then the net)
    const { amount, tax, total } = lineTax(BigInt(line.total), taxRateBps, taxInclusive);
    let service: number | null = null;
    let period: [string | null, string | null] = [null, null];
    if (line.kind === 'product') {
      item += 1;
      services.push({
        productId: line.productId,
        platformProductId: line.details.platformProductId ?? null,
        productName: line.description,
        productType: line.details.productType ?? 'other',
        module: line.details.module,
        moduleConfig: line.details.moduleConfig ?? {},
        domain: domains[item] ?? null,
        cycle: line.cycle,
        quantity: line.quantity,
        recurringAmount: BigInt(line.subtotal) - BigInt(line.recurringDiscount),
        addons: [],
        registrationDate: today,
        nextDueDate: addCycle(today, line.cycle),
        termMonths: null,
        renewalWholesale: null,
        domainItem: null,
      });
      service = services.length - 1;
      period = [today, addCycle(today, line.cycle)];
    } else if (line.kind === 'domain') {
      // A registration or transfer (the cart's domains come after its products, in their order).
      domainItem += 1;
      const { years, domain } = line.details;
      const end = addMonths(today, years * 12);
      services.push({
        productId: null,
        platformProductId: null,
        productName: domain,
        productType: 'domain',
        module: 'registrar',
        moduleConfig: {},
        domain,
        cycle: domainCycle(years),
        quantity: 1,
        recurringAmount: domainRenewals[domainItem]?.retail ?? BigInt(line.subtotal),
        addons: [],
        registrationDate: today,
        nextDueDate: end,
        termMonths: years * 12,
        renewalWholesale: domainRenewals[domainItem]?.wholesale ?? null,
        domainItem,
      });
      service = services.length - 1;
      period = [today, end];
    } else if (line.kind === 'addon' && services.length > 0) {
      service = services.length - 1;
      services[service]!.addons.push({
        addonId: line.details.addonId,
        description: line.description,
        cycle: line.cycle,
        quantity: line.quantity,
        recurringAmount: BigInt(line.subtotal) - BigInt(line.recurringDiscount),
      });
      period = [today, addCycle(today, line.cycle)];
    }
    lines.push({
      description: line.description,
      quantity: line.quantity,
      unitPrice: BigInt(line.unitPrice),
      setupFee: BigInt(line.setupTotal),
      discount: BigInt(line.discount),
      amount,
      tax,
      total,
      service,
      periodStart: period[1] === null ? null : period[0],
      periodEnd: period[1],
    });
  }
  const subtotal = sumOf(lines.map((l) => l.amount));
  const taxTotal = sumOf(lines.map((l) => l.tax));
  return { services, lines, subtotal, taxTotal, total: subtotal + taxTotal };
}

/** `INV-2026-000123` (yearly reset) or `INV-000123`: the tenant's prefix and padding. */
export function formatNumber(
  s: { invoicePrefix: string; invoicePadding: number; invoiceYearlyReset: boolean },
  year: number,
  n: bigint,
): string {
  return `${s.invoicePrefix}${s.invoiceYearlyReset ? `${year}-` : ''}${n.toString().padStart(s.invoicePadding, '0')}`;
}
