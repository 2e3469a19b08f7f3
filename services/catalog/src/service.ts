import { join } from 'node:path';
import { ClientCreated, ResellerCreated, ResellerUpdated, OrderPlaced } from '@geminis/contracts';
import {
  createRevocationList,
  cachedVerifier,
  createTokenVerifier,
  refusingRevoked,
  type BuiltService,
  type ServiceContext,
  type ServiceDefinition,
  type TokenVerifier,
} from '@geminis/service-kit';
import { type CatalogConfig } from './config';
import { createDomainPricingService } from './domain/domain-pricing.service';
import { createOfferingsService } from './domain/offerings.service';
import { createProductsService } from './domain/products.service';
import { createPromotionsService } from './domain/promotions.service';
import { createQuotesService } from './domain/quotes.service';
import { createSellableCatalog } from './domain/sellable.service';
import { createStorefrontService } from './domain/storefront.service';
import { clientCreatedHandler } from './events/client-created.handler';
import { orderPlacedHandler } from './events/order-placed.handler';
import { resellerProfileHandler } from './events/reseller-profile.handler';
import { domainPricingRoutes } from './http/domain-pricing.routes';
import { offeringsRoutes } from './http/offerings.routes';
import { productsRoutes } from './http/products.routes';
import { promotionReservationsRoutes } from './http/promotion-reservations.routes';
import { promotionsRoutes } from './http/promotions.routes';
import { internalQuotesRoutes, quotesRoutes } from './http/quotes.routes';
import { storefrontRoutes } from './http/storefront.routes';
import { createIdentityClient } from './upstream/identity.client';

export { catalogConfigFrom, catalogConfigShape, type CatalogConfig } from './config';
export { seedCatalogDemo, type CatalogDemo } from './seed';

export const CATALOG_MIGRATIONS = { name: 'catalog', dir: join(__dirname, 'store', 'migrations') };

function wire(config: CatalogConfig, ctx: ServiceContext) {
  const { db, outbox } = ctx;
  const sellable = createSellableCatalog({ db });
  const identity = config.identity
    ? createIdentityClient({
        baseUrl: config.identity.url,
        serviceKey: config.identity.serviceKey,
        ...(config.identity.timeoutMs ? { timeoutMs: config.identity.timeoutMs } : {}),
        ...(config.identity.breaker ? { breaker: config.identity.breaker } : {}),
        logger: ctx.logger as never, // the kit's pino logger behind its narrow runtime interface
      })
    : undefined;
  const promotions = createPromotionsService({ db, outbox, ...(config.now ? { now: config.now } : {}) });
  return {
    products: createProductsService({ db, outbox }),
    offerings: createOfferingsService({ db }),
    domainPricing: createDomainPricingService({ db }),
    promotions,
    storefront: createStorefrontService({ db, sellable }),
    quotes: createQuotesService({
      db,
      sellable,
      ...(identity ? { clients: identity } : {}),
      ...(config.now ? { now: config.now } : {}),
    }),
    sellable,
    identity,
  };
}

export type CatalogServices = ReturnType<typeof wire>;

export interface CatalogBuilt extends BuiltService {
  services: CatalogServices;
}

/** The catalog service: what is sold, by whom, at what price, with which promotion — and the quote. */
/**
 * Catalog's verifier when identity's revocation feed is configured: tokens of a revoked session, user or
 * tenant get 401 here too (DESIGN.md §5: services verify tokens again). Not ready until the feed loaded.
 */
function revocationAware(r: NonNullable<CatalogConfig['revocations']>, ctx: ServiceContext) {
  const list = createRevocationList({
    windowMs: 15 * 60_000,
    identityUrl: r.identityUrl,
    serviceKey: r.serviceKey,
    ...(r.refreshMs ? { refreshMs: r.refreshMs } : {}),
    logger: ctx.logger,
  });
  void list.loadUntilDone();
  const verifier: TokenVerifier = refusingRevoked(
    cachedVerifier(createTokenVerifier({ issuer: r.issuer, audience: r.audience, jwksUri: r.jwksUri })),
    list,
  );
  return {
    verifier,
    ready: async () => {
      if (!list.ready) throw new Error('revoked tokens not yet loaded from identity');
    },
    close: () => list.close(),
  };
}

export function catalogService(config: CatalogConfig = {}): ServiceDefinition<CatalogBuilt> {
  return {
    name: 'catalog',
    migrations: [CATALOG_MIGRATIONS],
    async build(ctx) {
      const services = wire(config, ctx);
      const revoking = config.revocations ? revocationAware(config.revocations, ctx) : undefined;
      // Catalog's own verifier (identity's keys and revocation feed; or the one tests give): also the one
      // that checks the caller's token forwarded to the internal quote route.
      const verifier = revoking?.verifier ?? config.verifier;
      if (config.internalRoutes && !verifier)
        ctx.logger.warn({}, 'no token verifier of its own: POST /internal/v1/quotes is not served');
      return {
        services,
        ...(verifier ? { verifier } : {}),
        ...(revoking ? { readiness: { revocations: revoking.ready } } : {}),
        stop: async () => {
          revoking?.close();
          services.identity?.shutdown();
        },
        routes: [
          productsRoutes(services),
          offeringsRoutes(services),
          domainPricingRoutes(services),
          promotionsRoutes(services),
          quotesRoutes(services),
          storefrontRoutes({ ...services, defaultCurrency: config.defaultCurrency ?? 'USD' }),
          // Service-key routes need runService's serviceKey: served only when the config says it is given.
          ...(config.internalRoutes ? [promotionReservationsRoutes(services)] : []),
          ...(config.internalRoutes && verifier ? [internalQuotesRoutes({ ...services, verifier })] : []),
        ],
        handlers: {
          [ClientCreated.type]: clientCreatedHandler,
          [ResellerCreated.type]: resellerProfileHandler,
          [ResellerUpdated.type]: resellerProfileHandler,
          [OrderPlaced.type]: orderPlacedHandler({ promotions: services.promotions, logger: ctx.logger }),
        },
      };
    },
  };
}
