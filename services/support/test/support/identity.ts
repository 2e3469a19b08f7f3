import {
  createLogger,
  openPostgres,
  runService,
  type Bus,
  type Database,
  type RunningService,
} from '@geminis/service-kit';
import { createTestDatabase } from '@geminis/service-kit/src/testing/postgres';
// Support's tests run the REAL identity in-process (never a mock of our own service): its brand route
// answers support's questions and its events reach support over the shared bus. Support's src never
// imports identity; only this test harness does.
import { identityService, type IdentityBuilt } from '../../../identity/src/service';

/** Identity's service key in these tests (support presents it for a password reset's token). */
export const IDENTITY_SERVICE_KEY = 'test-service-key-that-is-long-enough-0123456789';

export interface IdentityHarness {
  url: string;
  db: Database;
  running: RunningService<IdentityBuilt>;
  services: IdentityBuilt['services'];
  stop(): Promise<void>;
}

export async function startIdentity(bus: Bus): Promise<IdentityHarness> {
  const testDb = await createTestDatabase('gm_sidentity');
  const db = openPostgres({ url: testDb.url, max: 8 });
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
    services: running.built.services,
    async stop() {
      await running.stop();
      await db.close();
      await testDb.drop();
    },
  };
}
