import { newId } from '@geminis/service-kit';
import { billingConfigFrom, billingConfigShape, createDemoClock } from '../src/config';
import { client, startBilling, type Harness } from './support/billing';
import { z } from 'zod';

const env = (vars: Record<string, string>) => z.object(billingConfigShape).parse(vars);
const DAY = 86_400_000;

/** The demo's date override: BILLING_CLOCK_OFFSET_DAYS and an admin moving billing's clock forward. */
describe('billing’s demo clock', () => {
  it('runs ahead by BILLING_CLOCK_OFFSET_DAYS in the embedded mode, and only moves forward by whole days', () => {
    const config = billingConfigFrom(
      env({ BILLING_CLOCK_OFFSET_DAYS: '30', BILLING_ENCRYPTION_KEY: 'k'.repeat(32) }),
      {
        GEMINIS_MODE: 'embedded',
      },
    );
    const ahead = config.now!().getTime() - Date.now();
    expect(Math.round(ahead / DAY)).toBe(30);
    config.demoClock!.advance(5);
    expect(config.demoClock!.offsetDays()).toBe(35);
    expect(config.clockOffsetRefused).toBeUndefined();
  });

  it('is refused in production: the real clock, no movable clock, the refused offset reported for the boot log', () => {
    const config = billingConfigFrom(
      env({ BILLING_CLOCK_OFFSET_DAYS: '30', BILLING_ENCRYPTION_KEY: 'k'.repeat(32) }),
      {
        GEMINIS_MODE: 'production',
      },
    );
    expect([config.now, config.demoClock, config.clockOffsetRefused]).toEqual([undefined, undefined, 30]);
    const plain = billingConfigFrom(env({ BILLING_ENCRYPTION_KEY: 'k'.repeat(32) }), {
      GEMINIS_MODE: 'production',
    });
    expect(plain.clockOffsetRefused).toBeUndefined();
  });

  it('rejects an offset that is not a whole number of days, naming the variable', () => {
    const r = z.object(billingConfigShape).safeParse({ BILLING_CLOCK_OFFSET_DAYS: '1.5' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain('BILLING_CLOCK_OFFSET_DAYS');
  });

  describe('POST /v1/billing-runs on the demo clock', () => {
    let h: Harness;
    const clock = createDemoClock(0, () => Date.parse('2026-05-01T10:00:00Z'));
    beforeAll(async () => {
      h = await startBilling({ demoClock: clock, now: clock.now, lifecycleJobs: false });
    }, 60_000);
    afterAll(() => h.stop(), 30_000);

    it('moves billing’s date forward first, then runs as of it', async () => {
      const api = client(h.url);
      const admin = h.issuer.tokenFor('admin', newId());
      const res = await api.post('/v1/billing-runs', { advanceDays: 40 }, admin);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ asOf: '2026-06-10', clockOffsetDays: 40, renewals: 0 });
      const again = await api.post('/v1/billing-runs', {}, admin);
      expect(again.body).toMatchObject({ asOf: '2026-06-10', clockOffsetDays: 40 });
      const refused = await api.post('/v1/billing-runs', { advanceDays: 0 }, admin);
      expect([refused.status, JSON.stringify(refused.body)]).toEqual([
        400,
        expect.stringContaining('advanceDays'),
      ]);
      expect(clock.offsetDays()).toBe(40);
    });
  });
});
