import { QuoteView } from '@geminis/contracts';
import { createRoutes } from '@geminis/service-kit';
import { QuoteInput } from '../domain/inputs';
import { type QuotesService } from '../domain/quotes.service';
import { bodyOf } from './request';

/** POST /v1/quotes: a client quotes for itself; staff for a client of their tenant. */
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
