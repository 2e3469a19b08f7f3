import { createTestClient, type TestResponse } from '@geminis/service-kit/src/testing/http';
import {
  createInMemoryBus,
  createLogger,
  openPostgres,
  runService,
  type Database,
  type RunningService,
} from '@geminis/service-kit';
import { createTestDatabase, type TestDatabase } from '@geminis/service-kit/src/testing/postgres';
import {
  identityService,
  seedIdentityDemo,
  type IdentityBuilt,
  type IdentityConfig,
} from '../../src/service';
import { withRowLevelSecurityOpened } from '@geminis/service-kit/src/testing/first-wall';

export const ISSUER = 'https://identity.test';
export const AUDIENCE = 'geminis';
/** The shared key of identity's service-only internal routes in tests. */
export const SERVICE_KEY = 'test-service-key-that-is-long-enough-0123456789';

export interface Harness {
  url: string;
  db: Database;
  testDb: TestDatabase;
  running: RunningService<IdentityBuilt>;
  services: IdentityBuilt['services'];
  stop(): Promise<void>;
}

export async function startIdentity(
  overrides: Partial<IdentityConfig> = {},
  options: { firstWallOnly?: boolean } = {},
): Promise<Harness> {
  const testDb = await createTestDatabase('gm_identity');
  const pool = openPostgres({ url: testDb.url, max: 12 });
  // firstWallOnly: RLS opened, so the stores' own tenant filters must isolate alone.
  const db = options.firstWallOnly ? withRowLevelSecurityOpened(pool) : pool;
  const bus = createInMemoryBus();
  const running = await runService(
    identityService({
      issuer: ISSUER,
      audience: AUDIENCE,
      encryptionKey: 'test-encryption-key-that-is-long-enough-0123456789',
      ...overrides,
    }),
    {
      db,
      bus,
      logger: createLogger({ service: 'identity', level: 'silent' }),
      serviceKey: SERVICE_KEY,
      port: 0,
      keepPublishedEvents: true,
      relayPollMs: 50,
      checkResponses: true,
    },
  );
  return {
    url: running.url,
    db,
    testDb,
    running,
    services: running.built.services,
    async stop() {
      await running.stop();
      await bus.close();
      await db.close();
      await testDb.drop();
    },
  };
}

export type Res = TestResponse;

export function client(url: string) {
  const base = createTestClient(url);
  const { call } = base;
  return {
    ...base,
    async login(email: string, password: string, tenantSlug?: string) {
      const res = await call('POST', '/v1/auth/login', {
        body: { email, password, ...(tenantSlug ? { tenantSlug } : {}) },
      });
      if (res.status !== 200 || res.body.status !== 'ok')
        throw new Error(`login ${email} failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as {
        accessToken: string;
        refreshToken: string;
        user: { id: string; tenantId: string };
      };
    },
  };
}

export type Client = ReturnType<typeof client>;

export interface Party {
  id: string;
  tenantId: string;
  token: string;
  refreshToken: string;
}

export interface World {
  admin: Party;
  resellerA: Party;
  resellerB: Party;
  clientA1: Party;
  clientA2: Party;
  clientB1: Party;
  platformClient: Party;
  tenantA: string;
  tenantB: string;
}

/** Admin, resellers A (acme) and B, clients A1, A2, B1 and a platform client, each signed in. */
export async function buildWorld(h: Harness, api: Client): Promise<World> {
  const demo = await seedIdentityDemo(h.db, h.services);
  const party = async (email: string, password: string, slug?: string): Promise<Party> => {
    const s = await api.login(email, password, slug);
    return { id: s.user.id, tenantId: s.user.tenantId, token: s.accessToken, refreshToken: s.refreshToken };
  };
  const admin = await party(demo.admin.email, demo.admin.password);
  const b = await api.post(
    '/v1/resellers',
    {
      slug: 'bravo',
      brandName: 'Bravo Hosting',
      customDomains: ['bravo.example'],
      owner: { email: 'owner@bravo.example', name: 'Bravo Owner', password: 'bravo-owner-pass-1' },
    },
    admin.token,
  );
  if (b.status !== 201) throw new Error(`reseller B: ${JSON.stringify(b.body)}`);
  const resellerA = await party(demo.reseller.email, demo.reseller.password, 'acme');
  const resellerB = await party('owner@bravo.example', 'bravo-owner-pass-1', 'bravo');
  const a2 = await api.post(
    '/v1/clients',
    { email: 'a2@example.com', name: 'A Two', password: 'client-a2-pass-1' },
    resellerA.token,
  );
  if (a2.status !== 201) throw new Error(`client A2: ${JSON.stringify(a2.body)}`);
  const b1 = await api.post(
    '/v1/clients',
    { email: 'b1@example.com', name: 'B One', password: 'client-b1-pass-1' },
    resellerB.token,
  );
  if (b1.status !== 201) throw new Error(`client B1: ${JSON.stringify(b1.body)}`);
  return {
    admin,
    resellerA,
    resellerB,
    clientA1: await party(demo.resellerClient.email, demo.resellerClient.password, 'acme'),
    clientA2: await party('a2@example.com', 'client-a2-pass-1', 'acme'),
    clientB1: await party('b1@example.com', 'client-b1-pass-1', 'bravo'),
    platformClient: await party(demo.platformClient.email, demo.platformClient.password),
    tenantA: demo.reseller.tenantId,
    tenantB: b.body.reseller.id,
  };
}
