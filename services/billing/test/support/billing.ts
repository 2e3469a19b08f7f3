import { randomBytes } from 'node:crypto';
import { eventRegistry, PLATFORM_TENANT_ID } from '@geminis/contracts';
import {
  createEventConsumer,
  createInMemoryBus,
  createRabbitBus,
  createLogger,
  createTokenVerifier,
  newId,
  openPostgres,
  rows,
  runService,
  tenantScope,
  type Bus,
  type Database,
  type EventHandler,
  type RunningService,
} from '@geminis/service-kit';
import { createTestClient, type TestResponse } from '@geminis/service-kit/src/testing/http';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestIssuer, type TestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { withRowLevelSecurityOpened } from '@geminis/service-kit/src/testing/first-wall';
import { sql } from 'drizzle-orm';
// Billing's tests run the REAL catalog in-process (never a mock of our own service); billing's src never
// imports it.
import { catalogService, type CatalogBuilt } from '../../../catalog/src/service';
import { billingService, type BillingBuilt, type BillingConfig } from '../../src/service';

export { PLATFORM_TENANT_ID };

export type Res = TestResponse;
export const client = (url: string) => createTestClient(url);
export type Client = ReturnType<typeof client>;

export interface Harness {
  url: string;
  catalogUrl: string;
  db: Database;
  catalogDb: Database;
  issuer: TestIssuer;
  billing: RunningService<BillingBuilt>;
  catalog: RunningService<CatalogBuilt>;
  serviceKey: string;
  bus: Bus;
  /** Delivers an event to billing's consumer as the bus would (inbox, validation, tenant set). */
  deliver(type: string, tenantId: string, data: unknown, id?: string): Promise<string>;
  /** The same for catalog's consumer. */
  deliverToCatalog(type: string, tenantId: string, data: unknown, id?: string): Promise<string>;
  stop(): Promise<void>;
}

function deliverer(db: Database, consumer: string, handlers: Record<string, EventHandler>) {
  const c = createEventConsumer({
    db,
    bus: createInMemoryBus(),
    registry: eventRegistry,
    consumer,
    handlers,
  });
  return async (type: string, tenantId: string, data: unknown, id = newId()) => {
    const envelope = {
      id,
      type,
      source: 'test',
      time: new Date().toISOString(),
      tenantId,
      correlationId: id,
      data,
    };
    return c.handle({
      id,
      routingKey: type,
      body: Buffer.from(JSON.stringify(envelope)),
      headers: {},
      redelivered: false,
      deliveryCount: 0,
    });
  };
}

/**
 * Billing and the real catalog, each on its own throwaway PostgreSQL database, sharing one bus: the kit's
 * in-process bus, or a real RabbitMQ when `amqpUrl` is given (a test vhost). With `firstWallOnly`, billing
 * runs with row-level security opened: its stores' own tenant filters are the only wall between tenants
 * (the harness's `db`, for the tests' own checks, keeps RLS).
 */
export async function startBilling(
  config: Partial<BillingConfig> = {},
  options: { amqpUrl?: string; firstWallOnly?: boolean } = {},
): Promise<Harness> {
  const [billingTestDb, catalogTestDb] = await Promise.all([
    createTestDatabase('gm_billing'),
    createTestDatabase('gm_bcatalog'),
  ]);
  const testDbs: TestDatabase[] = [billingTestDb, catalogTestDb];
  const db = openPostgres({ url: billingTestDb.url, max: 16 });
  const catalogDb = openPostgres({ url: catalogTestDb.url, max: 12 });
  const bus: Bus = options.amqpUrl ? createRabbitBus({ url: options.amqpUrl }) : createInMemoryBus();
  const issuer = createTestIssuer();
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });
  const logger = createLogger({
    service: 'billing-test',
    level: process.env.BILLING_TEST_LOG ?? 'silent',
  });
  const serviceKey = randomBytes(32).toString('base64url');
  const common = {
    bus,
    logger,
    verifier,
    checkResponses: true,
    port: 0,
    keepPublishedEvents: true,
    relayPollMs: 50,
  };
  // catalog verifies the caller's token forwarded to its internal quote route with the same issuer
  const catalog = await runService(catalogService({ internalRoutes: true, verifier }), {
    ...common,
    db: catalogDb,
    serviceKey,
  });
  const serviceDb = options.firstWallOnly ? withRowLevelSecurityOpened(db) : db;
  const billing = await runService(
    billingService({
      catalogUrl: catalog.url,
      serviceKey,
      catalogTimeoutMs: 5_000,
      encryptionKey: randomBytes(32).toString('base64url'),
      ...config,
    }),
    { ...common, db: serviceDb },
  );
  return {
    url: billing.url,
    catalogUrl: catalog.url,
    db,
    catalogDb,
    issuer,
    billing,
    catalog,
    serviceKey,
    bus,
    deliver: deliverer(serviceDb, 'billing', billing.built.handlers ?? {}),
    deliverToCatalog: deliverer(catalogDb, 'catalog', catalog.built.handlers ?? {}),
    async stop() {
      await billing.stop();
      await catalog.stop();
      await bus.close();
      await Promise.all([db.close(), catalogDb.close()]);
      await Promise.all(testDbs.map((t) => t.drop()));
    },
  };
}

export const resellerProfile = (resellerId: string) => ({
  resellerId,
  slug: `r-${resellerId.slice(-8)}`,
  brandName: 'Reseller',
  customDomains: [],
  allowCustomProducts: true,
  status: 'active',
});

export interface Shop {
  tenantId: string;
  productId: string;
  groupId: string;
  resellerToken: string;
}

/**
 * A reseller tenant with one cPanel hosting product on sale (EUR/JPY/KWD monthly with a setup fee,
 * EUR annually), through catalog's own API.
 */
export async function openShop(h: Harness, tenantId = newId()): Promise<Shop> {
  const api = client(h.catalogUrl);
  expect(await h.deliverToCatalog('identity.reseller.created.v1', tenantId, resellerProfile(tenantId))).toBe(
    'ack',
  );
  const resellerToken = h.issuer.tokenFor('reseller', tenantId);
  const g = await api.post('/v1/product-groups', { name: 'Hosting' }, resellerToken);
  expect(g.status).toBe(201);
  const p = await api.post(
    '/v1/products',
    {
      groupId: g.body.id,
      name: 'Starter',
      type: 'shared_hosting',
      module: 'cpanel',
      moduleConfig: { package: 'starter' },
      prices: [
        { currency: 'EUR', cycle: 'monthly', price: 999, setupFee: 500 },
        { currency: 'EUR', cycle: 'annually', price: 9999 },
        { currency: 'JPY', cycle: 'monthly', price: 1499 },
        { currency: 'KWD', cycle: 'monthly', price: 3335 },
      ],
    },
    resellerToken,
  );
  expect(p.status).toBe(201);
  return { tenantId, productId: p.body.id, groupId: g.body.id, resellerToken };
}

/** A promotion of the shop's tenant, through catalog's API. */
export async function promotion(h: Harness, shop: Shop, code: string, extra: object = {}): Promise<string> {
  const res = await client(h.catalogUrl).post(
    '/v1/promotions',
    { code, discount: { kind: 'percent', bps: 1000 }, appliesTo: { kind: 'order' }, ...extra },
    shop.resellerToken,
  );
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** A client of a tenant, as identity announces it; returns its id and a token. */
export async function newClient(h: Harness, tenantId: string, currency = 'EUR') {
  const id = newId();
  const created = {
    clientId: id,
    email: `c-${id.slice(-8)}@example.com`,
    name: `Client ${id.slice(-4)}`,
    language: 'en',
    currency,
    via: 'signup',
  };
  const outcome = await h.deliver('identity.client.created.v1', tenantId, created);
  expect(outcome).toBe('ack');
  // catalog keeps its own projection of clients (staff quote for a client catalog must know)
  await h.deliverToCatalog('identity.client.created.v1', tenantId, created);
  return { id, token: h.issuer.tokenFor('client', tenantId, id) };
}

/** Counts rows of a billing table in a tenant (the test's own view of what was written). */
export async function countRows(h: Harness, table: string, tenantId: string): Promise<number> {
  const [r] = await h.db.withTenant(tenantScope(tenantId), (tx) =>
    rows<{ n: number }>(tx, sql`select count(*)::int as n from ${sql.identifier(table)}`),
  );
  return r!.n;
}

/** The events billing wrote to its outbox in a tenant, by type. */
export async function outboxEvents(h: Harness, tenantId: string, type: string): Promise<any[]> {
  // read in the tenant: the outbox may be under the tenant policy like every tenant-owned table
  const rs = await h.db.withTenant(tenantScope(tenantId), (tx) =>
    rows<{ envelope: { data: unknown } }>(
      tx,
      sql`select envelope from outbox where tenant_id = ${tenantId} and type = ${type} order by created_at`,
    ),
  );
  return rs.map((r) => r.envelope.data);
}

export const withKey = (key: string) => ({ 'idempotency-key': key });
