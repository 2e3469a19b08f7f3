import {
  checkPromotion,
  normaliseCode,
  type Promotion,
  type PromotionContext,
} from '../src/domain/promotion';

const NOW = new Date('2026-06-15T12:00:00Z');
const base: Promotion = {
  id: 'p',
  tenantId: 'tenant-a',
  code: 'SUMMER',
  description: '',
  discount: { kind: 'percent', bps: 1000 },
  appliesTo: { kind: 'order' },
  cycles: [],
  recurrence: { kind: 'first_payment' },
  freeSetup: false,
  startsAt: new Date('2026-06-01T00:00:00Z'),
  endsAt: new Date('2026-07-01T00:00:00Z'),
  maxUses: 10,
  maxUsesPerClient: 1,
  newClientsOnly: false,
  redeemed: 0,
  active: true,
};
const ctx: PromotionContext = {
  tenantId: 'tenant-a',
  now: NOW,
  currency: 'EUR',
  lines: [{ productId: 'prod-1', groupId: 'group-1', cycle: 'monthly' }],
  client: { isNew: true, redemptions: 0 },
};
const check = (p: Partial<Promotion>, c: Partial<PromotionContext> = {}) =>
  checkPromotion({ ...base, ...p }, { ...ctx, ...c });

describe('promotion rules', () => {
  it('applies when every rule holds', () => expect(check({})).toBeNull());
  it('refuses a promotion of another tenant', () =>
    expect(check({ tenantId: 'tenant-b' })).toBe('wrong_tenant'));
  it('refuses a withdrawn promotion', () => expect(check({ active: false })).toBe('inactive'));
  it('refuses a coupon before its start date', () =>
    expect(check({ startsAt: new Date('2026-06-15T12:00:01Z') })).toBe('not_yet_valid'));
  it('accepts a coupon from the very instant it starts', () => expect(check({ startsAt: NOW })).toBeNull());
  it('refuses a coupon past its end date (the end is exclusive)', () => {
    expect(check({ endsAt: NOW })).toBe('expired');
    expect(check({ endsAt: new Date(NOW.getTime() + 1) })).toBeNull();
  });
  it('refuses a promotion at its total limit', () => {
    expect(check({ redeemed: 10 })).toBe('limit_reached');
    expect(check({ redeemed: 9 })).toBeNull();
  });
  it('refuses a client who used it as often as allowed', () =>
    expect(check({}, { client: { isNew: true, redemptions: 1 } })).toBe('client_limit_reached'));
  it('refuses an existing client when it is for new clients only', () => {
    expect(check({ newClientsOnly: true }, { client: { isNew: false, redemptions: 0 } })).toBe(
      'new_clients_only',
    );
    expect(check({ newClientsOnly: false }, { client: { isNew: false, redemptions: 0 } })).toBeNull();
  });
  it('leaves client rules to order time when the client is unknown', () =>
    expect(check({ newClientsOnly: true }, { client: undefined })).toBeNull());
  it('refuses a fixed amount with no amount in the order currency', () => {
    expect(check({ discount: { kind: 'fixed', amounts: { USD: 500n } } })).toBe('currency_not_supported');
    expect(check({ discount: { kind: 'fixed', amounts: { EUR: 500n } } })).toBeNull();
  });
  it('refuses when no item is one of its products', () => {
    expect(check({ appliesTo: { kind: 'products', productIds: ['other'] } })).toBe('not_applicable');
    expect(check({ appliesTo: { kind: 'products', productIds: ['prod-1'] } })).toBeNull();
  });
  it('refuses when no item is in one of its groups', () => {
    expect(check({ appliesTo: { kind: 'groups', groupIds: ['group-2'] } })).toBe('not_applicable');
    expect(check({ appliesTo: { kind: 'groups', groupIds: ['group-1'] } })).toBeNull();
  });
  it('refuses when no item is on an allowed cycle', () => {
    expect(check({ cycles: ['annually'] })).toBe('not_applicable');
    expect(check({ cycles: ['annually', 'monthly'] })).toBeNull();
  });
  it('compares codes case-insensitively', () => expect(normaliseCode(' welcome10 ')).toBe('WELCOME10'));
});
