import { eventRegistry } from '@geminis/contracts';
import { createLogger, createOutbox, newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { createCipher } from '../src/domain/crypto';
import { createJobRunner } from '../src/jobs/job-runner';
import { createPanelHttp } from '../src/modules/panel-http';
import { createPanels } from '../src/modules/panels';
import { outboxEvents, provisionRequest, runJobsUntil, waitFor } from './support/jobs';
import {
  client,
  cpanelServer,
  startProvisioning,
  TEST_ENCRYPTION_KEY,
  type Harness,
  type HarnessOptions,
} from './support/provisioning';
import { startWhmStandIn, type WhmStandIn } from './support/whm-stand-in';

const PROVISION = 'billing.service.provision_requested.v1';

/** Jobs against a WHM stand-in on loopback that times out, goes down and comes back. */
describe('provisioning jobs under failure', () => {
  let whm: WhmStandIn;
  let h: Harness;
  const A = newId();

  async function start(options: HarnessOptions) {
    const harness = await startProvisioning(options);
    const reseller = harness.issuer.tokenFor('reseller', A);
    const res = await client(harness.url).post(
      '/v1/servers',
      cpanelServer(`standin-${newId()}`, { hostname: '127.0.0.1', port: whm.port, tls: false }),
      reseller,
    );
    expect(res.status).toBe(201);
    return harness;
  }

  const jobsOf = (harness: Harness) =>
    harness.db.withTenant(tenantScope(A), (tx) =>
      rows<{ service_id: string; status: string; attempts: number; last_error: string | null }>(
        tx,
        sql`select service_id, status, attempts, last_error from jobs`,
      ),
    );
  const allSettled = (harness: Harness) => async () =>
    (await jobsOf(harness)).every((j) => j.status === 'done' || j.status === 'failed');
  const provisioned = async (harness: Harness, serviceId: string) =>
    (await outboxEvents(harness, 'provisioning.service.provisioned.v1')).filter(
      (e) => e.data.serviceId === serviceId,
    );

  beforeAll(async () => {
    whm = await startWhmStandIn();
    h = await start({
      config: {
        encryptionKey: TEST_ENCRYPTION_KEY,
        panelTimeouts: { defaultMs: 2_000, createMs: 300 },
        panelBreaker: { volumeThreshold: 3, resetTimeoutMs: 300 },
        jobs: { maxAttempts: 100 },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await h.stop();
    await whm.close();
  });
  beforeEach(() => {
    whm.state.down = false;
    whm.state.hangCreates = 0;
    for (const k of Object.keys(whm.calls)) delete whm.calls[k];
  });

  it('adopts an account whose createacct timed out but happened, instead of creating it again', async () => {
    whm.state.hangCreates = 1;
    const req = provisionRequest({ domain: 'slowpoke.example' });
    await h.deliver(PROVISION, A, req);
    await runJobsUntil(h, allSettled(h));
    expect(whm.calls.createacct).toBe(1);
    const job = (await jobsOf(h)).find((j) => j.service_id === req.serviceId)!;
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    expect(whm.accounts.get('slowpoke')).toMatchObject({ domain: 'slowpoke.example' });
    expect(await provisioned(h, req.serviceId)).toHaveLength(1);
  });

  it('keeps jobs waiting while the panel is down (its breaker open), loses none, and completes them when it returns', async () => {
    whm.state.down = true;
    const reqs = ['down1', 'down2', 'down3'].map((d) => provisionRequest({ domain: `${d}.example` }));
    for (const r of reqs) await h.deliver(PROVISION, A, r);
    const ids = new Set(reqs.map((r) => r.serviceId));
    const mine = async () => (await jobsOf(h)).filter((j) => ids.has(j.service_id));
    await waitFor(async () => {
      await h.running.built.services.runner.runOnce();
      return (await mine()).every((j) => j.attempts >= 3);
    }, 'several failed attempts per job');
    const waiting = await mine();
    expect(waiting.every((j) => j.status === 'pending')).toBe(true);
    expect(waiting.some((j) => j.last_error?.includes('circuit is open'))).toBe(true);
    // The open breaker answered most attempts itself: far fewer calls reached WHM than attempts were made.
    const attempts = waiting.reduce((n, j) => n + j.attempts, 0);
    expect(whm.calls.listaccts ?? 0).toBeLessThan(attempts);

    whm.state.down = false;
    await runJobsUntil(
      h,
      async () => (await mine()).every((j) => j.status === 'done'),
      'the jobs to complete',
    );
    expect(whm.calls.createacct).toBe(3);
    for (const r of reqs) expect(await provisioned(h, r.serviceId)).toHaveLength(1);
  }, 30_000);

  it('resumes the job of a runner that stopped answering, and the late runner changes nothing', async () => {
    whm.state.hangCreates = 1;
    const req = provisionRequest({ domain: 'zombie.example' });
    await h.deliver(PROVISION, A, req);
    // A runner whose createacct hangs past its short lease: for the others it is dead.
    const logger = createLogger({ service: 'provisioning', level: 'silent' });
    const http = createPanelHttp();
    const stale = createJobRunner({
      db: h.db,
      outbox: createOutbox({ source: 'provisioning', registry: eventRegistry }),
      cipher: createCipher(TEST_ENCRYPTION_KEY),
      panels: createPanels(http, { createMs: 1_500 }),
      logger,
      options: { leaseMs: 100, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const staleRun = stale.runDue();
    await waitFor(async () => whm.calls.createacct === 1, 'the stale runner to call createacct');
    // Its lease runs out while it waits; the service's own runner takes the job over and adopts the account.
    await runJobsUntil(h, async () =>
      (await jobsOf(h)).some((j) => j.service_id === req.serviceId && j.status === 'done'),
    );
    await staleRun; // its createacct timed out meanwhile: its failure must not touch the finished job
    http.shutdown();
    expect(whm.calls.createacct).toBe(1);
    expect((await jobsOf(h)).find((j) => j.service_id === req.serviceId)).toMatchObject({
      status: 'done',
      attempts: 2,
      last_error: null,
    });
    expect(await provisioned(h, req.serviceId)).toHaveLength(1);
  });

  it('shares work between two runners without running any job twice', async () => {
    const reqs = Array.from({ length: 8 }, (_, i) => provisionRequest({ domain: `pair${i}.example` }));
    for (const r of reqs) await h.deliver(PROVISION, A, r);
    const logger = createLogger({ service: 'provisioning', level: 'silent' });
    const http = createPanelHttp();
    const other = createJobRunner({
      db: h.db,
      outbox: createOutbox({ source: 'provisioning', registry: eventRegistry }),
      cipher: createCipher(TEST_ENCRYPTION_KEY),
      panels: createPanels(http),
      logger,
      options: { concurrency: 3 },
    });
    await Promise.all([other.runDue(), h.running.built.services.runner.runDue()]);
    await runJobsUntil(h, allSettled(h));
    http.shutdown();
    expect(whm.calls.createacct).toBe(8);
    for (const r of reqs) expect(await provisioned(h, r.serviceId)).toHaveLength(1);
  });

  it('fails a job visibly after its last attempt, with the panel’s last error', async () => {
    const few = await start({ config: { encryptionKey: TEST_ENCRYPTION_KEY, jobs: { maxAttempts: 2 } } });
    try {
      whm.state.down = true;
      const req = provisionRequest({ domain: 'never.example' });
      await few.deliver(PROVISION, A, req);
      await runJobsUntil(few, allSettled(few));
      expect((await jobsOf(few))[0]).toMatchObject({
        status: 'failed',
        attempts: 2,
        last_error: 'the panel answered HTTP 503',
      });
      const [failed] = await outboxEvents(few, 'provisioning.service.provision_failed.v1');
      expect(failed?.data).toMatchObject({ serviceId: req.serviceId, retryable: true });
    } finally {
      await few.stop();
    }
  });
});
