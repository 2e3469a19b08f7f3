import {
  buildWorld,
  client,
  startIdentity,
  type Harness,
} from '../../services/identity/test/support/identity';
import { fuzzService, report } from './support/engine';

describe('identity under generated hostile requests', () => {
  let h: Harness;
  let tokens: { admin: string; reseller: string; client: string };

  beforeAll(async () => {
    h = await startIdentity();
    const world = await buildWorld(h, client(h.url));
    tokens = { admin: world.admin.token, reseller: world.resellerA.token, client: world.clientA1.token };
  }, 60_000);
  afterAll(() => h.stop());

  it('answers every operation, as every role, never 5xx; a refusal is problem+json and writes nothing', async () => {
    const { findings, requests, operations, patches } = await fuzzService({
      service: 'identity',
      url: h.url,
      adminDbUrl: h.testDb.adminUrl,
      tokens,
      mayChangeOnRefusal: {
        audit_log: 'failed sign-ins and refused sensitive actions are audited',
        users: 'a failed sign-in is counted on the account (throttling)',
        one_time_tokens: 'a wrong 2FA code is counted on its challenge',
        login_throttle: 'a wrong password or second factor is counted for its source (throttling)',
      },
    });
    expect(operations).toBeGreaterThan(20);
    expect(requests).toBeGreaterThan(operations * 4 * 10);
    expect(report(findings)).toBe('');
    // PATCH of one field at a time: nothing else of the resource changes.
    expect(patches.findings).toEqual([]);
    expect(patches.patched).toBeGreaterThan(5);
  }, 400_000);
});
