import {
  createInMemoryBus,
  createLogger,
  openPostgres,
  runService,
  type Database,
  type RunningService,
} from '@geminis/service-kit';
import { createTestDatabase } from '@geminis/service-kit/src/testing/postgres';
// Catalog's tests run the REAL identity in-process (never a mock of our own service) where catalog asks
// it something. Catalog's src never imports identity; only this test harness does.
import { identityService, type IdentityBuilt } from '../../../identity/src/service';

/** Identity's service key in these tests (catalog presents it to ask whose client an id is). */
export const IDENTITY_SERVICE_KEY = 'catalog-test-identity-service-key-0123456789';

export interface IdentityHarness {
  url: string;
  db: Database;
  running: RunningService<IdentityBuilt>;
  stop(): Promise<void>;
}

export async function startIdentity(): Promise<IdentityHarness> {
  const testDb = await createTestDatabase('gm_cidentity');
  const db = openPostgres({ url: testDb.url, max: 4 });
  const bus = createInMemoryBus();
  const running = await runService(
    identityService({
      issuer: 'https://identity.test',
      audience: 'geminis',
      encryptionKey: 'test-encryption-key-that-is-long-enough-0123456789',
    }),
    {
      db,
      bus,
      logger: createLogger({ service: 'identity', level: 'silent' }),
      serviceKey: IDENTITY_SERVICE_KEY,
      port: 0,
      keepPublishedEvents: true,
      relayPollMs: 50,
    },
  );
  return {
    url: running.url,
    db,
    running,
    async stop() {
      await running.stop();
      await bus.close();
      await db.close();
      await testDb.drop();
    },
  };
}
