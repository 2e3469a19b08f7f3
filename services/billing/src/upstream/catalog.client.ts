import {
  CATALOG_INTERNAL,
  PromotionRelease,
  InternalQuoteView,
  PromotionReservation,
  type PromotionReservationInput,
} from '@geminis/contracts';
import {
  BusinessRuleError,
  ClientHttpError,
  createHttpClient,
  SERVICE_KEY_HEADER,
  UpstreamError,
  ValidationError,
  type FieldError,
  type Logger,
} from '@geminis/service-kit';
import { type z } from 'zod';

/** What billing sends to catalog's quote (catalog's QuoteInput). */
export interface QuoteRequest {
  currency: string;
  items: Record<string, unknown>[];
  promoCode?: string;
  clientId?: string;
  tenantId?: string;
}

interface Problem {
  code?: unknown;
  detail?: unknown;
  errors?: unknown;
}

/**
 * Catalog's refusals of a cart are the caller's to fix: a 400 (a bad item, naming the field as billing's
 * input names it: items.0.cycle) or a 422 (not sold in this currency, a promotion refused) keep their code,
 * detail and fields. Anything else from catalog is an upstream failure (502), never the caller's fault.
 */
function fromCatalog(err: unknown): Error {
  if (!(err instanceof ClientHttpError)) return err as Error;
  const p = (err.response.body ?? {}) as Problem;
  const code = typeof p.code === 'string' ? p.code : 'catalog.rejected';
  const detail = typeof p.detail === 'string' ? p.detail : 'catalog refused the cart';
  const fieldErrors = Array.isArray(p.errors) ? (p.errors as FieldError[]) : undefined;
  const options = fieldErrors ? { fieldErrors } : {};
  if (err.status === 400) return new ValidationError(code, detail, options);
  if (err.status === 422) return new BusinessRuleError(code, detail, options);
  if (err.status === 404)
    return new BusinessRuleError(
      'billing.storefront_unavailable',
      'this storefront sells nothing at the moment',
    );
  return new UpstreamError('billing.catalog_failed', `catalog answered ${err.status}`, { cause: err });
}

function parsed<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const r = schema.safeParse(body);
  if (!r.success)
    throw new UpstreamError('billing.catalog_failed', 'catalog answered in an unexpected shape');
  return r.data;
}

/**
 * Catalog over HTTP with the kit's resilient client (a timeout on every call, one breaker for catalog,
 * retries only where safe): the quote with the caller's own token, reservations with the service key.
 */
export function createCatalogClient(deps: {
  baseUrl: string;
  serviceKey: string;
  timeoutMs?: number;
  logger?: Logger;
}) {
  const http = createHttpClient({
    name: 'catalog',
    baseUrl: deps.baseUrl,
    timeoutMs: deps.timeoutMs ?? 5_000,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const service = { [SERVICE_KEY_HEADER]: deps.serviceKey };

  return {
    /**
     * Prices a cart as the caller (catalog decides storefront and client from the caller's token, forwarded)
     * on catalog's internal quote route (the service key too): each line carries what billing needs later
     * and a client never sees — source, module, moduleConfig, platformProductId and the wholesale price owed
     * to the platform for a resold line. No side effect.
     */
    async quote(token: string, input: QuoteRequest): Promise<InternalQuoteView> {
      try {
        const res = await http.request({
          method: 'POST',
          path: CATALOG_INTERNAL.quotes,
          headers: { ...service, authorization: `Bearer ${token}` },
          body: input,
          idempotent: true,
        });
        return parsed(InternalQuoteView, res.body);
      } catch (err) {
        throw fromCatalog(err);
      }
    },
    /** Holds one use of a promotion for an order (PUT: idempotent per order, safe to retry). */
    async reserve(tenantId: string, orderId: string, input: PromotionReservationInput) {
      try {
        const res = await http.request({
          method: 'PUT',
          path: CATALOG_INTERNAL.promotionReservation(tenantId, orderId),
          headers: service,
          body: input,
        });
        return parsed(PromotionReservation, res.body);
      } catch (err) {
        throw fromCatalog(err);
      }
    },
    async release(tenantId: string, orderId: string) {
      try {
        const res = await http.request({
          method: 'DELETE',
          path: CATALOG_INTERNAL.promotionReservation(tenantId, orderId),
          headers: service,
        });
        return parsed(PromotionRelease, res.body);
      } catch (err) {
        throw fromCatalog(err);
      }
    },
    shutdown: () => http.shutdown(),
  };
}

export type CatalogClient = ReturnType<typeof createCatalogClient>;
