import { randomBytes } from 'node:crypto';
import { CATALOG_INTERNAL, eventRegistry } from '@geminis/contracts';
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
import { createTestClient } from '@geminis/service-kit/src/testing/http';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import { createTestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { catalogService, type CatalogBuilt } from '../src/service';
import { resellerProfile } from './support/catalog';

/** The service-key reservation routes billing calls at checkout and on cancel. */
describe('promotion reservations (service key)', () => {
  let testDb: TestDatabase;
  let db: Database;
  let running: RunningService<CatalogBuilt>;
  const serviceKey = randomBytes(32).toString('base64url');
  const issuer = createTestIssuer();
  const A = newId();
  let promotionId: string;
  let api: ReturnType<typeof createTestClient>;

  beforeAll(async () => {
    testDb = await createTestDatabase('gm_catalog');
    db = openPostgres({ url: testDb.url, max: 12 });
    const verifier = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
    });
    running = await runService(catalogService({ internalRoutes: true }), {
      db,
      bus: createInMemoryBus(),
      logger: createLogger({ service: 'catalog', level: 'silent' }),
      verifier,
      serviceKey,
      checkResponses: true,
      port: 0,
      keepPublishedEvents: true,
    });
    api = createTestClient(running.url);
    const consumer = createEventConsumer({
      db,
      bus: createInMemoryBus(),
      registry: eventRegistry,
      consumer: 'catalog',
      handlers: running.built.handlers ?? {},
    });
    const id = newId();
    const envelope = {
      id,
      type: 'identity.reseller.created.v1',
      source: 'test',
      time: new Date().toISOString(),
      tenantId: A,
      correlationId: id,
      data: resellerProfile(A, true),
    };
    const outcome = await consumer.handle({
      id,
      routingKey: envelope.type,
      body: Buffer.from(JSON.stringify(envelope)),
      headers: {},
      redelivered: false,
      deliveryCount: 0,
    });
    expect(outcome).toBe('ack');
    const token = issuer.tokenFor('reseller', A);
    const p = await api.post(
      '/v1/promotions',
      { code: 'HOLD', discount: { kind: 'percent', bps: 500 }, appliesTo: { kind: 'order' }, maxUses: 2 },
      token,
    );
    expect(p.status).toBe(201);
    promotionId = p.body.id;
  }, 60_000);
  afterAll(async () => {
    await running.stop();
    await db.close();
    await testDb.drop();
  });

  const reserve = (orderId: string, key: string | null = serviceKey, tenantId = A) =>
    api.call('PUT', CATALOG_INTERNAL.promotionReservation(tenantId, orderId), {
      body: { promotionId, clientId: newId() },
      headers: key ? { 'x-geminis-service-key': key } : {},
    });

  it('is for our services only: no key or a wrong key is a 401, a user token is not enough', async () => {
    expect((await reserve(newId(), null)).status).toBe(401);
    expect((await reserve(newId(), 'x'.repeat(40))).status).toBe(401);
    const withToken = await api.call('PUT', CATALOG_INTERNAL.promotionReservation(A, newId()), {
      token: issuer.tokenFor('admin', A),
      body: { promotionId, clientId: newId() },
    });
    expect(withToken.status).toBe(401);
  });

  it('reserves up to the limit under concurrency, answers each order the same way again, and releases', async () => {
    const orders = Array.from({ length: 8 }, () => newId());
    const answers = await Promise.all(orders.map((o) => reserve(o)));
    const reserved = answers.filter((a) => a.body.status === 'reserved');
    expect(reserved).toHaveLength(2);
    expect(answers.filter((a) => a.body.status === 'refused').map((a) => a.body.reason)).toEqual(
      Array(6).fill('limit_reached'),
    );
    const held = reserved[0]!.body.orderId as string;
    expect((await reserve(held)).body.status).toBe('reserved');
    const path = CATALOG_INTERNAL.promotionReservation(A, held);
    const headers = { 'x-geminis-service-key': serviceKey };
    expect((await api.call('DELETE', path, { headers })).body.status).toBe('released');
    expect((await api.call('DELETE', path, { headers })).body.status).toBe('not_reserved');
    expect((await reserve(held)).status).toBe(409);
    expect((await reserve(newId())).body.status).toBe('reserved');
  });

  it("answers another tenant's promotion like a missing one (404)", async () => {
    expect((await reserve(newId(), serviceKey, newId())).status).toBe(404);
  });
});
