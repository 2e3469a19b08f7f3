import { migrate, openPostgres, type Database } from '../src/db';
import { createScheduler, dailyUtc, type Job } from '../src/scheduler/scheduler';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';

describe('scheduler', () => {
  let testDb: TestDatabase;
  let replicaA: Database;
  let replicaB: Database;

  beforeAll(async () => {
    testDb = await createTestDatabase();
    replicaA = openPostgres({ url: testDb.url });
    replicaB = openPostgres({ url: testDb.url });
    await migrate(replicaA, []);
  });

  afterAll(async () => {
    await replicaA.close();
    await replicaB.close();
    await testDb.drop();
  });

  const job = (name: string, run: Job['run'], leaseMs?: number): Job => ({
    name,
    everyMs: 60_000,
    period: dailyUtc,
    run,
    ...(leaseMs ? { leaseMs } : {}),
  });

  it('runs a job once per period even when several replicas tick at the same time', async () => {
    const runs: string[] = [];
    const slow = job('once-per-period', async (period) => {
      runs.push(period);
      await new Promise((r) => setTimeout(r, 100));
    });
    const a = createScheduler({ db: replicaA });
    const b = createScheduler({ db: replicaB });
    const outcomes = await Promise.all([a.tick(slow), b.tick(slow), a.tick(slow), b.tick(slow)]);
    expect(outcomes.filter((o) => o === 'ran')).toHaveLength(1);
    expect(await b.tick(slow)).toBe('skipped');
    expect(runs).toHaveLength(1);
  });

  it('runs again in the next period', async () => {
    let clock = new Date('2026-11-25T10:00:00Z');
    const runs: string[] = [];
    const s = createScheduler({ db: replicaA, now: () => clock });
    const daily = job('daily', async (p) => {
      runs.push(p);
    });
    await s.tick(daily);
    await s.tick(daily);
    clock = new Date('2026-11-26T00:00:01Z');
    await s.tick(daily);
    expect(runs).toEqual(['2026-11-25', '2026-11-26']);
  });

  it('retries a period whose run failed', async () => {
    let attempts = 0;
    const flaky = job('flaky', async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('downstream unavailable');
    });
    const s = createScheduler({ db: replicaA });
    await expect(s.tick(flaky)).rejects.toThrow('downstream unavailable');
    expect(await s.tick(flaky)).toBe('ran');
    expect(await s.tick(flaky)).toBe('skipped');
    expect(attempts).toBe(2);
  });

  it('lets another replica take over a run whose lease expired', async () => {
    const a = createScheduler({ db: replicaA });
    const b = createScheduler({ db: replicaB });
    let release!: () => void;
    const stuck = a.tick(job('stuck', () => new Promise<void>((r) => (release = r)), 200));
    await new Promise((r) => setTimeout(r, 50));
    expect(await b.tick(job('stuck', async () => undefined, 200))).toBe('skipped');
    await new Promise((r) => setTimeout(r, 300));
    expect(await b.tick(job('stuck', async () => undefined, 200))).toBe('ran');
    release();
    await stuck;
  });
});
