import { allTenants, createLogger } from '@geminis/service-kit';
import { createClaimLoop } from '../src/jobs/claim-loop';
import { JOBS_CHANNEL, notifyRunners } from '../src/store/jobs.store';
import { startProvisioning, type Harness } from './support/provisioning';

/**
 * The runners' claim loop on real PostgreSQL LISTEN/NOTIFY: a job announced while the loop is claiming
 * (its claim may have looked before that job committed) is claimed at once, not after the poll interval.
 */
describe('claim loop wake-up', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startProvisioning();
  }, 60_000);
  afterAll(() => h?.stop(), 30_000);

  it('claims again at once when a notification came during a claim that found nothing', async () => {
    const claims: number[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstStarted!: () => void;
    const firstRunning = new Promise<void>((r) => (firstStarted = r));
    const loop = createClaimLoop<string>({
      db: h.db,
      log: createLogger({ service: 'test', level: 'silent' }),
      what: 'test jobs',
      concurrency: 2,
      pollMs: 60_000, // a missed wake-up would cost a minute
      claim: async () => {
        claims.push(Date.now());
        if (claims.length === 1) {
          firstStarted();
          await firstHeld; // the claim's snapshot is taken; the job commits after it
        }
        return [];
      },
      execute: async () => undefined,
    });

    // Our own listener on the jobs channel tells when the loop's listener has had the notification too.
    let heard!: () => void;
    const notified = new Promise<void>((r) => (heard = r));
    const unlisten = await h.db.listen(JOBS_CHANNEL, () => heard());
    try {
      await loop.start();
      await firstRunning;
      await h.db.withTenant(allTenants, (tx) => notifyRunners(tx)); // a job recorded during the claim
      await notified;
      await new Promise((r) => setTimeout(r, 100)); // the loop's own listener, on its own connection
      releaseFirst();
      const deadline = Date.now() + 5_000;
      while (claims.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(claims.length).toBeGreaterThanOrEqual(2);
    } finally {
      await unlisten();
      await loop.stop();
    }
  });
});
