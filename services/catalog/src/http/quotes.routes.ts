import { InternalQuoteView, QuoteView, CATALOG_INTERNAL } from '@geminis/contracts';
import { bearerToken, createRoutes, UnauthenticatedError, type TokenVerifier } from '@geminis/service-kit';
import { QuoteInput } from '../domain/inputs';
import { type QuotesService } from '../domain/quotes.service';
import { bodyOf } from './request';

/** POST /v1/quotes: a client quotes for itself; staff for a client of their tenant. White-label answer. */
export function quotesRoutes(deps: { quotes: QuotesService }) {
  const routes = createRoutes();
  routes.post(
    '/v1/quotes',
    { authenticated: true },
    {
      summary: 'Price a cart: products, options, add-ons, domains and a promotion',
      body: QuoteInput,
      responses: { 200: QuoteView },
    },
    async (req, res, auth) => {
      const input = bodyOf(req, QuoteInput);
      res.json(await deps.quotes.quote(deps.quotes.partiesOf(auth, input), input));
    },
  );
  return routes;
}

/**
 * POST /internal/v1/quotes (CATALOG_INTERNAL.quotes): billing prices an order's cart. Our own services only
 * (the shared service key, checked by the kit: 401 without it) AND on behalf of the user at the other end:
 * the caller's bearer token is verified here like on any authenticated route (401 without or with a bad
 * one), and the cart is priced with exactly the public quote's decisions — then answered with each line's
 * internal detail (source, module, moduleConfig, platformProductId, wholesale). Never routed by the
 * gateway.
 */
export function internalQuotesRoutes(deps: { quotes: QuotesService; verifier: TokenVerifier }) {
  const routes = createRoutes();
  routes.post(
    CATALOG_INTERNAL.quotes,
    { service: true },
    {
      summary: 'Price a cart for billing, with what only our services see per line',
      body: QuoteInput,
      responses: { 200: InternalQuoteView },
    },
    async (req, res) => {
      const token = bearerToken(req);
      if (!token)
        throw new UnauthenticatedError('auth.missing_token', 'the caller’s bearer access token is required');
      const auth = await deps.verifier.verify(token);
      req.log = req.log.child({ tenantId: auth.tenantId, userId: auth.userId });
      const input = bodyOf(req, QuoteInput);
      res.json(await deps.quotes.quote(deps.quotes.partiesOf(auth, input), input, { internal: true }));
    },
  );
  return routes;
}
