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
import { createTestIssuer, type TestIssuer } from '@geminis/service-kit/src/testing/tokens';
import { catalogService, type CatalogBuilt, type CatalogConfig } from '../../src/service';

export { PLATFORM_TENANT_ID };

export interface Harness {
  url: string;
  db: Database;
  testDb: TestDatabase;
  issuer: TestIssuer;
  running: RunningService<CatalogBuilt>;
  /** Delivers an event to catalog's consumer as the bus would (inbox, validation, tenant set). */
  deliver(type: string, tenantId: string, data: unknown, id?: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startCatalog(config: CatalogConfig = {}): Promise<Harness> {
  const testDb = await createTestDatabase('gm_catalog');
  const db = openPostgres({ url: testDb.url, max: 12 });
  const bus = createInMemoryBus();
  const issuer = createTestIssuer();
  const verifier = createTokenVerifier({
    issuer: issuer.issuer,
    audience: issuer.audience,
    keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
  });
  const logger = createLogger({ service: 'catalog', level: 'silent' });
  const running = await runService(catalogService(config), {
    db,
    bus,
    logger,
    verifier,
    port: 0,
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

export interface Res {
  status: number;
  body: any;
  headers: Headers;
}

export function client(url: string) {
  const call = async (
    method: string,
    path: string,
    opts: { token?: string; body?: unknown } = {},
  ): Promise<Res> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body, headers: res.headers };
  };
  return {
    call,
    get: (path: string, token?: string) => call('GET', path, token ? { token } : {}),
    post: (path: string, body: unknown, token?: string) =>
      call('POST', path, { body, ...(token ? { token } : {}) }),
    put: (path: string, body: unknown, token?: string) =>
      call('PUT', path, { body, ...(token ? { token } : {}) }),
    patch: (path: string, body: unknown, token?: string) =>
      call('PATCH', path, { body, ...(token ? { token } : {}) }),
    del: (path: string, token?: string) => call('DELETE', path, token ? { token } : {}),
  };
}

export type Client = ReturnType<typeof client>;

export const resellerProfile = (resellerId: string, allowCustomProducts: boolean, status = 'active') => ({
  resellerId,
  slug: `r-${resellerId.slice(-8)}`,
  brandName: 'Reseller',
  customDomains: [],
  allowCustomProducts,
  status,
});
