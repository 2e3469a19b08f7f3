import { createInMemoryBus, type AuthContext } from '@geminis/service-kit';
import { createRevocations } from '../src/revocations';

const USER = '0193a1b2-c3d4-7e5f-8a6b-0000000000a1';
const OTHER = '0193a1b2-c3d4-7e5f-8a6b-0000000000a2';
const TENANT = '0193a1b2-c3d4-7e5f-8a6b-0000000000b1';
const PLATFORM = '00000000-0000-0000-0000-000000000000';
const WINDOW = 900_000;

const auth = (userId: string, tenantId: string, issuedAtMs: number): AuthContext => ({
  userId,
  tenantId,
  role: 'client',
  tokenId: 'j',
  issuedAt: Math.floor(issuedAtMs / 1000),
});

const envelope = (type: string, time: number, data: object) => ({
  id: '0193a1b2-c3d4-7e5f-8a6b-00000000000e',
  type,
  source: 'identity',
  time: new Date(time).toISOString(),
  tenantId: PLATFORM,
  correlationId: 'c',
  data,
});

describe('revoked tokens at the gateway', () => {
  let clock = Date.parse('2026-11-25T10:00:00Z');
  const now = () => clock;
  afterEach(() => {
    clock = Date.parse('2026-11-25T10:00:00Z');
  });

  it('refuses tokens of the user issued up to the change (and its clock margin), not later ones or other users', () => {
    const list = createRevocations({ windowMs: WINDOW, skewSeconds: 5, now });
    const at = clock;
    list.revoke('user', USER, at);
    expect(list.isRevoked(auth(USER, PLATFORM, at - 600_000))).toBe(true);
    expect(list.isRevoked(auth(USER, PLATFORM, at))).toBe(true);
    expect(list.isRevoked(auth(USER, PLATFORM, at + 5_000))).toBe(true);
    expect(list.isRevoked(auth(USER, PLATFORM, at + 6_000))).toBe(false); // signed in again afterwards
    expect(list.isRevoked(auth(OTHER, PLATFORM, at - 1_000))).toBe(false);
    list.close();
  });

  it("refuses every user's token of a suspended tenant, and forgets revocations older than a token's life", () => {
    const list = createRevocations({ windowMs: WINDOW, now });
    list.revoke('tenant', TENANT, clock);
    expect(list.isRevoked(auth(USER, TENANT, clock - 1_000))).toBe(true);
    expect(list.isRevoked(auth(OTHER, TENANT, clock - 1_000))).toBe(true);
    expect(list.isRevoked(auth(USER, PLATFORM, clock - 1_000))).toBe(false);
    clock += WINDOW + 1; // every token issued before the suspension has expired by now
    expect(list.isRevoked(auth(USER, TENANT, clock - WINDOW - 1_000))).toBe(false);
    list.revoke('user', USER, clock - WINDOW - 1); // an old change (loaded late) is not kept
    expect(list.isRevoked(auth(USER, PLATFORM, clock - WINDOW - 1_000))).toBe(false);
    list.close();
  });

  it('keeps the latest change when it hears of several', () => {
    const list = createRevocations({ windowMs: WINDOW, skewSeconds: 0, now });
    list.revoke('user', USER, clock);
    list.revoke('user', USER, clock - 60_000); // an older one, arriving late, does not shorten it
    expect(list.isRevoked(auth(USER, PLATFORM, clock - 1_000))).toBe(true);
    list.close();
  });

  it("hears identity's suspensions, ignores reactivations, and dead-letters what it cannot read", async () => {
    const bus = createInMemoryBus();
    const list = createRevocations({ windowMs: WINDOW, now });
    await list.subscribe(bus, 'r1');
    const publish = (type: string, body: unknown) =>
      bus.publish({
        id: String(Math.random()),
        routingKey: type,
        body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      });
    const issued = clock - 60_000;
    await publish(
      'identity.user.status_changed.v1',
      envelope('identity.user.status_changed.v1', clock, {
        userId: OTHER,
        role: 'client',
        from: 'suspended',
        to: 'active',
      }),
    );
    await publish(
      'identity.user.status_changed.v1',
      envelope('identity.user.status_changed.v1', clock, {
        userId: USER,
        role: 'client',
        from: 'active',
        to: 'suspended',
      }),
    );
    await publish(
      'identity.reseller.suspended.v1',
      envelope('identity.reseller.suspended.v1', clock, { resellerId: TENANT }),
    );
    await publish('identity.user.status_changed.v1', '{not json');
    await publish(
      'identity.user.status_changed.v1',
      envelope('identity.user.status_changed.v1', clock, { userId: 'not-a-uuid' }),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(list.isRevoked(auth(USER, PLATFORM, issued))).toBe(true);
    expect(list.isRevoked(auth(OTHER, PLATFORM, issued))).toBe(false);
    expect(list.isRevoked(auth(OTHER, TENANT, issued))).toBe(true);
    expect(bus.deadLetters('gateway.revocations.r1')).toHaveLength(2);
    await bus.close();
    list.close();
  });

  it('is ready at once with no identity to load from, and not before loading when there is one', () => {
    const alone = createRevocations({ windowMs: WINDOW });
    expect(alone.ready).toBe(true);
    const withIdentity = createRevocations({
      windowMs: WINDOW,
      identityUrl: 'http://127.0.0.1:9',
      serviceKey: 'k'.repeat(32),
    });
    expect(withIdentity.ready).toBe(false);
    alone.close();
    withIdentity.close();
  });
});
