import { backoffMs, pickServer } from './fill';

const s = (id: string, accounts: number, maxAccounts: number) => ({ id, accounts, maxAccounts });

describe('server fill strategies', () => {
  it('fill in order takes the first server with room', () => {
    expect(pickServer('fill_in_order', [s('a', 10, 10), s('b', 3, 10), s('c', 0, 10)])?.id).toBe('b');
  });

  it('least accounts takes the server with the largest free share, ties in order', () => {
    expect(pickServer('least_accounts', [s('a', 5, 10), s('b', 30, 100), s('c', 2, 4)])?.id).toBe('b');
    expect(pickServer('least_accounts', [s('a', 1, 10), s('b', 1, 10)])?.id).toBe('a');
  });

  it('finds nothing when every server is full', () => {
    expect(pickServer('least_accounts', [s('a', 10, 10)])).toBeUndefined();
    expect(pickServer('fill_in_order', [])).toBeUndefined();
  });
});

describe('retry backoff', () => {
  it('grows exponentially up to its cap, scaled by full jitter', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 100, 1_000, () => 1))).toEqual([100, 200, 400, 800]);
    expect(backoffMs(10, 100, 1_000, () => 1)).toBe(1_000);
    expect(backoffMs(3, 100, 1_000, () => 0.5)).toBe(200);
    expect(backoffMs(3, 100, 1_000, () => 0)).toBe(0);
  });
});
