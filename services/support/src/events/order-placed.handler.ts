import { type OrderPlaced } from '@geminis/contracts';
import { tenantScope, type EventHandler } from '@geminis/service-kit';
import { type z } from 'zod';
import { formatMoney, type MailLanguage } from '../domain/mail-templates';
import { type NotificationsService } from '../domain/notifications.service';

type Placed = z.infer<typeof OrderPlaced.schema>;

const CYCLES: Record<MailLanguage, Record<string, string>> = {
  en: {
    monthly: 'monthly',
    quarterly: 'quarterly',
    semiannually: 'every six months',
    annually: 'yearly',
    biennially: 'every two years',
    triennially: 'every three years',
    onetime: 'one-time',
    free: 'free',
  },
  es: {
    monthly: 'mensual',
    quarterly: 'trimestral',
    semiannually: 'semestral',
    annually: 'anual',
    biennially: 'bienal',
    triennially: 'trienal',
    onetime: 'pago único',
    free: 'gratis',
  },
};

const WORDS = {
  en: {
    product: 'product',
    register: 'registration',
    transfer: 'transfer',
    year: (n: number) => (n === 1 ? '1 year' : `${n} years`),
    promotion: 'promotion code',
  },
  es: {
    product: 'producto',
    register: 'registro',
    transfer: 'transferencia',
    year: (n: number) => (n === 1 ? '1 año' : `${n} años`),
    promotion: 'código promocional',
  },
} as const;

/**
 * What an order holds, one line each, in the client's language: products by the name the client ordered
 * them under (an event from before billing sent names: by id), then domains, then the promotion code used.
 */
export function orderLines(data: Placed, language: MailLanguage): string {
  const w = WORDS[language];
  const lines = [
    ...data.items.map(
      (i) =>
        `${i.quantity} × ${i.productName ?? `${w.product} ${i.productId}`} (${CYCLES[language][i.cycle] ?? i.cycle})`,
    ),
    ...(data.domains ?? []).map((d) => `${d.domain}: ${w[d.action]}, ${w.year(d.years)}`),
    ...(data.promotionCode ? [`${w.promotion}: ${data.promotionCode}`] : []),
  ];
  return lines.join('\n');
}

/**
 * billing.order.placed.v1: the client's order confirmation (what it ordered and the total, in its
 * tenant's brand and its language), once per order however often the event is delivered.
 */
export function orderPlacedHandler(deps: { notifications: NotificationsService }): EventHandler {
  return async (tx, event) => {
    const data = event.data as Placed;
    await deps.notifications.queue(tx, tenantScope(event.tenantId), {
      // keyed by the order, not the event: one confirmation per order even if billing announced it twice
      eventId: data.orderId,
      template: 'order_placed',
      clientId: data.clientId,
      vars: (language) => ({
        orderId: data.orderId,
        items: orderLines(data, language),
        total: formatMoney(data.total, data.currency, language),
      }),
    });
  };
}
