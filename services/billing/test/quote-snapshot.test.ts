import { randomBytes } from 'node:crypto';
import { eventRegistry } from '@geminis/contracts';
import {
  createEventConsumer,
  createInMemoryBus,
  createLogger,
  createTokenVerifier,
  newId,
  openPostgres,
  rows,
  runService,
  tenantScope,
  type Database,
  type EventHandler,
} from '@geminis/service-kit';
import { createTestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { sql } from 'drizzle-orm';
// The REAL catalog in-process, as billing's other tests run it (billing's src never imports it).
import { catalogService, seedCatalogDemo, type CatalogDemo } from '../../catalog/src/service';
import { billingService } from '../src/service';
import { client, resellerProfile, type Client } from './support/billing';

const INTERNAL_ONLY = ['source', 'module', 'moduleConfig', 'wholesale', 'platformProductId'];

/** The internal-only keys found anywhere in a JSON answer, with their paths. */
function internalKeysIn(value: unknown, path = '$', found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v, i) => internalKeysIn(v, `${path}[${i}]`, found));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (INTERNAL_ONLY.includes(k)) found.push(`${path}.${k}`);
      internalKeysIn(v, `${path}.${k}`, found);
    }
  return found;
}

function deliverer(db: Database, consumer: string, handlers: Record<string, EventHandler>) {
  const c = createEventConsumer({
    db,
    bus: createInMemoryBus(),
    registry: eventRegistry,
    consumer,
    handlers,
  });
  return async (type: string, tenantId: string, data: unknown) => {
    const id = newId();
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
 * What billing keeps from catalog's quote: billing prices an order on catalog's internal quote route (the
 * service key and the client's own token), so the snapshot it stores carries each line's provisioning
 * module and configuration, its source and — for a resold product — the wholesale price owed to the
 * platform; what the client reads back must carry none of it.
 *
 * Billing and the real catalog are wired here on their own (as billing's harness does): catalog is given the
 * token verifier it checks forwarded tokens with, and identity's client event reaches both services.
 */
describe('the quote snapshot billing stores', () => {
  const issuer = createTestIssuer();
  const serviceKey = randomBytes(32).toString('base64url');
  const A = newId();
  let stop: () => Promise<void>;
  let billingDb: Database;
  let api: Client;
  let demo: CatalogDemo;
  let catalogApi: Client;
  let toBilling: ReturnType<typeof deliverer>;
  let toCatalog: ReturnType<typeof deliverer>;

  beforeAll(async () => {
    const [bTest, cTest] = await Promise.all([
      createTestDatabase('gm_billing'),
      createTestDatabase('gm_bcatalog'),
    ]);
    billingDb = openPostgres({ url: bTest.url, max: 8 });
    const catalogDb = openPostgres({ url: cTest.url, max: 8 });
    const bus = createInMemoryBus();
    const verifier = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
    });
    const logger = createLogger({ service: 'billing-test', level: 'silent' });
    const common = {
      bus,
      logger,
      verifier,
      serviceKey,
      checkResponses: true,
      port: 0,
      keepPublishedEvents: true,
      relayPollMs: 50,
    };
    const catalog = await runService(catalogService({ internalRoutes: true, verifier }), {
      ...common,
      db: catalogDb,
    });
    const billing = await runService(
      billingService({
        catalogUrl: catalog.url,
        serviceKey,
        catalogTimeoutMs: 5_000,
        encryptionKey: randomBytes(32).toString('base64url'),
      }),
      { ...common, db: billingDb },
    );
    api = client(billing.url);
    catalogApi = client(catalog.url);
    toBilling = deliverer(billingDb, 'billing', billing.built.handlers ?? {});
    toCatalog = deliverer(catalogDb, 'catalog', catalog.built.handlers ?? {});
    expect(await toCatalog('identity.reseller.created.v1', A, resellerProfile(A))).toBe('ack');
    demo = await seedCatalogDemo(catalogDb, { resellerTenantId: A });
    stop = async () => {
      await billing.stop();
      await catalog.stop();
      await bus.close();
      await Promise.all([billingDb.close(), catalogDb.close()]);
      await Promise.all([bTest.drop(), cTest.drop()]);
    };
  }, 60_000);
  afterAll(() => stop(), 30_000);

  /** A client of A, announced by identity to billing and catalog alike. */
  async function newClient() {
    const id = newId();
    const data = {
      clientId: id,
      email: `c-${id.slice(-8)}@example.com`,
      name: 'A client',
      language: 'en',
      currency: 'EUR',
      via: 'reseller',
    };
    expect(await toBilling('identity.client.created.v1', A, data)).toBe('ack');
    expect(await toCatalog('identity.client.created.v1', A, data)).toBe('ack');
    return { id, token: issuer.tokenFor('client', A, id) };
  }

  /** The id A's clients see for the platform's Pro (white-label: the reseller's alias of it). */
  async function proOfA(): Promise<string> {
    const shop = await catalogApi.get(`/v1/storefront/${A}/products?currency=EUR`);
    return shop.body.groups.flatMap((g: any) => g.products).find((p: any) => p.name === 'Pro').id;
  }

  /** A resold platform product (Pro) and the reseller's own one (Acme Site Care), ordered by the client. */
  async function order(token: string) {
    const res = await api.post(
      '/v1/orders',
      {
        items: [
          { productId: await proOfA(), cycle: 'monthly', domain: 'resold.example' },
          { productId: demo.reseller.custom, cycle: 'monthly', domain: 'own.example' },
        ],
      },
      token,
    );
    expect(res.status).toBe(201);
    return res.body;
  }

  const storedSnapshot = async (orderId: string) => {
    const scope = tenantScope(A);
    const [r] = await billingDb.withTenant(scope, (tx) =>
      rows<{ snapshot: any }>(tx, sql`select snapshot from orders where id = ${orderId}`),
    );
    return r!.snapshot;
  };

  it('keeps, per line, the source, module, configuration, platform product and wholesale price', async () => {
    const c = await newClient();
    const placed = await order(c.token);
    const snapshot = await storedSnapshot(placed.id);
    const [resold, own] = snapshot.lines;
    expect(resold).toMatchObject({
      kind: 'product',
      productId: await proOfA(),
      unitPrice: 1199,
      setupFee: 500,
      details: {
        source: 'resold',
        module: 'cpanel',
        moduleConfig: { package: 'pro' },
        platformProductId: demo.platform.pro,
        wholesale: { price: 600, setupFee: 0 },
      },
    });
    expect(own).toMatchObject({
      productId: demo.reseller.custom,
      details: { source: 'own', module: 'none', platformProductId: null, wholesale: null },
    });
  });

  it('stores the alias on the client service, the platform’s id beside it, and shows only the alias', async () => {
    const c = await newClient();
    const placed = await order(c.token);
    const alias = await proOfA();
    expect(alias).not.toBe(demo.platform.pro);
    const stored = await billingDb.withTenant(tenantScope(A), (tx) =>
      rows<{ product_id: string; platform_product_id: string | null }>(
        tx,
        sql`select product_id, platform_product_id from client_services where order_id = ${placed.id}
            order by product_id = ${demo.reseller.custom}`,
      ),
    );
    expect(stored).toEqual([
      { product_id: alias, platform_product_id: demo.platform.pro },
      { product_id: demo.reseller.custom, platform_product_id: null },
    ]);
    const seen = [
      placed,
      (await api.get(`/v1/orders/${placed.id}`, c.token)).body,
      (await api.get(`/v1/invoices/${placed.invoiceId}`, c.token)).body,
      ...(await Promise.all(
        (placed.serviceIds as string[]).map(
          async (id) => (await api.get(`/v1/client-services/${id}`, c.token)).body,
        ),
      )),
    ];
    expect(JSON.stringify(seen)).toContain(alias);
    expect(JSON.stringify(seen)).not.toContain(demo.platform.pro);
  });

  it('places a staff order for a client of the tenant (catalog knows the client from identity)', async () => {
    const c = await newClient();
    const res = await api.post(
      '/v1/orders',
      {
        clientId: c.id,
        items: [{ productId: demo.reseller.custom, cycle: 'monthly', domain: 'staff.example' }],
      },
      issuer.tokenFor('reseller', A),
    );
    expect(res.status).toBe(201);
    expect((await storedSnapshot(res.body.id)).clientId).toBe(c.id);
  });

  it('shows the client no internal field on its invoice', async () => {
    const c = await newClient();
    const placed = await order(c.token);
    const invoice = await api.get(`/v1/invoices/${placed.invoiceId}`, c.token);
    expect(invoice.status).toBe(200);
    expect(internalKeysIn(invoice.body)).toEqual([]);
  });

  // GET /v1/orders/:id (and the order's POST answer) show the client the public snapshot: the stored one's
  // source, module, configuration, platform product and wholesale price stay inside billing.
  it('shows the client no internal field on its order', async () => {
    const c = await newClient();
    const placed = await order(c.token);
    expect(internalKeysIn(placed)).toEqual([]);
    const res = await api.get(`/v1/orders/${placed.id}`, c.token);
    expect(res.status).toBe(200);
    expect(internalKeysIn(res.body)).toEqual([]);
  });

  // A client service names its panel (`module`: the client logs in to it, its login URL says which), which
  // tells nothing of where the product comes from; nothing else internal is shown.
  it('shows the client no internal field on its services', async () => {
    const c = await newClient();
    const placed = await order(c.token);
    for (const id of placed.serviceIds as string[]) {
      const res = await api.get(`/v1/client-services/${id}`, c.token);
      expect(res.status).toBe(200);
      expect(internalKeysIn(res.body).filter((k) => k !== '$.module')).toEqual([]);
    }
  });
});
