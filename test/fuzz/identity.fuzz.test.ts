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
    const { findings, requests, operations } = await fuzzService({
      service: 'identity',
      url: h.url,
      adminDbUrl: h.testDb.adminUrl,
      tokens,
      mayChangeOnRefusal: {
        audit_log: 'failed sign-ins and refused sensitive actions are audited',
        users: 'a failed sign-in is counted on the account (throttling)',
        one_time_tokens: 'a wrong 2FA code is counted on its challenge',
      },
    });
    expect(operations).toBeGreaterThan(20);
    expect(requests).toBeGreaterThan(operations * 4 * 10);
    expect(report(findings)).toBe('');
  }, 400_000);
});
