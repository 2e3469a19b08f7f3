import { PLATFORM_TENANT_ID } from '@geminis/contracts';
import { cachedVerifier, createTokenVerifier } from '../src/auth';
import { createTestIssuer } from '../src/testing/tokens';

describe('cached token verification', () => {
  const issuer = createTestIssuer('geminis-identity', 'geminis');
  const counting = () => {
    let calls = 0;
    const inner = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
    });
    return {
      calls: () => calls,
      verifier: {
        verify: (t: string) => {
          calls += 1;
          return inner.verify(t);
        },
      },
    };
  };

  it('verifies a token once and answers repeats from the cache', async () => {
    const c = counting();
    const v = cachedVerifier(c.verifier);
    const token = issuer.tokenFor('client', PLATFORM_TENANT_ID);
    const first = await v.verify(token);
    expect(await v.verify(token)).toEqual(first);
    expect(c.calls()).toBe(1);
  });

  it('never caches a rejection', async () => {
    const c = counting();
    const v = cachedVerifier(c.verifier);
    const forged = createTestIssuer('geminis-identity', 'geminis').sign({}, { kid: issuer.kid });
    await expect(v.verify(forged)).rejects.toMatchObject({ status: 401 });
    await expect(v.verify(forged)).rejects.toMatchObject({ status: 401 });
    expect(c.calls()).toBe(2);
  });

  it('does not keep a token past its expiry', async () => {
    const c = counting();
    const v = cachedVerifier(c.verifier, { maxAgeMs: 60_000 });
    const now = Math.floor(Date.now() / 1000);
    const token = issuer.sign({ iat: now - 10, exp: now + 1 });
    await v.verify(token);
    await new Promise((r) => setTimeout(r, 1100));
    await v.verify(token).catch(() => undefined); // the verifier itself allows some clock skew
    expect(c.calls()).toBe(2); // past exp the cache answered nothing: the token was checked again
  });

  it('keeps at most maxEntries tokens', async () => {
    const c = counting();
    const v = cachedVerifier(c.verifier, { maxEntries: 2 });
    const [a, b, d] = [1, 2, 3].map(() => issuer.tokenFor('client', PLATFORM_TENANT_ID));
    for (const t of [a!, b!, d!]) await v.verify(t);
    await v.verify(a!); // evicted: verified again
    expect(c.calls()).toBe(4);
  });
});
