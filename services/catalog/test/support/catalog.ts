import { randomBytes } from 'node:crypto';
import { createTestClient, type TestResponse } from '@geminis/service-kit/src/testing/http';
import { eventRegistry, PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  createEventConsumer,
  createInMemoryBus,
  createLogger,
  createTokenVerifier,
  newId,
  openPostgres,
  runService,
  type Database,
  type RunningService,
} from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { withRowLevelSecurityOpened } from '@geminis/service-kit/src/testing/first-wall';
import { createTestIssuer, type TestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { catalogService, type CatalogBuilt, type CatalogConfig } from '../../src/service';

export { PLATFORM_TENANT_ID };

export interface Harness {
  url: string;
  /** The shared service key runService was given (the internal routes need it with `internalRoutes`). */
  serviceKey: string;
  db: Database;
  testDb: TestDatabase;
  issuer: TestIssuer;
  running: RunningService<CatalogBuilt>;
  /** Delivers an event to catalog's consumer as the bus would (inbox, validation, tenant set). */
  deliver(type: string, tenantId: string, data: unknown, id?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface HarnessOptions {
  /** Run catalog with row-level security opened: its stores' tenant filters are the only wall. */
  firstWallOnly?: boolean;
}

export async function startCatalog(
  config: CatalogConfig = {},
  options: HarnessOptions = {},
): Promise<Harness> {
  const testDb = await createTestDatabase('gm_catalog');
  const pool = openPostgres({ url: testDb.url, max: 12 });
  const db = options.firstWallOnly ? withRowLevelSecurityOpened(pool) : pool;
  const bus = createInMemoryBus();
  const issuer = createTestIssuer();
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });
  const logger = createLogger({ service: 'catalog', level: 'silent' });
  const serviceKey = randomBytes(32).toString('base64url');
  const running = await runService(catalogService({ verifier, ...config }), {
    db,
    bus,
    logger,
    verifier,
    serviceKey,
    // Every answer a test gets was checked against the schema its route declares (a 500 otherwise).
    checkResponses: true,
    port: 0,
    keepPublishedEvents: true,
    relayPollMs: 50,
  });
  const consumer = createEventConsumer({
    db,
    bus,
    registry: eventRegistry,
    consumer: 'catalog',
    handlers: running.built.handlers ?? {},
  });
  return {
    url: running.url,
    serviceKey,
    db,
    testDb,
    issuer,
    running,
    async deliver(type, tenantId, data, id = newId()) {
      const envelope = {
        id,
        type,
        source: 'test',
        time: new Date().toISOString(),
        tenantId,
        correlationId: id,
        data,
      };
      const outcome = await consumer.handle({
        id,
        routingKey: type,
        body: Buffer.from(JSON.stringify(envelope)),
        headers: {},
        redelivered: false,
        deliveryCount: 0,
      });
      return outcome;
    },
    async stop() {
      await running.stop();
      await bus.close();
      await db.close();
      await testDb.drop();
    },
  };
}

export type Res = TestResponse;

export const client = (url: string) => createTestClient(url);

export type Client = ReturnType<typeof client>;

export const resellerProfile = (resellerId: string, allowCustomProducts: boolean, status = 'active') => ({
  resellerId,
  slug: `r-${resellerId.slice(-8)}`,
  brandName: 'Reseller',
  customDomains: [],
  allowCustomProducts,
  status,
});

/**
 * The id a reseller's clients see for a platform product it offers (white-label: never the platform's id),
 * as its own GET /v1/offerings tells the reseller.
 */
export async function storefrontIdOf(api: Client, resellerToken: string, platformProductId: string) {
  const res = await api.get('/v1/offerings', resellerToken);
  const offering = (res.body.items as { product: { id: string }; storefrontId: string | null }[]).find(
    (o) => o.product.id === platformProductId,
  );
  if (!offering?.storefrontId) throw new Error(`${platformProductId} is not offered by this reseller`);
  return offering.storefrontId;
}

/** A product as tenant `tenantId`'s storefront shows it (with its options' and add-ons' ids and prices). */
export async function storefrontProduct(api: Client, tenantId: string, productId: string, currency = 'EUR') {
  const res = await api.get(`/v1/storefront/${tenantId}/products?currency=${currency}`);
  const product = (res.body.groups as { products: { id: string }[] }[])
    .flatMap((g) => g.products)
    .find((p) => p.id === productId);
  if (!product) throw new Error(`${productId} is not on the storefront of ${tenantId} in ${currency}`);
  return product as any;
}
