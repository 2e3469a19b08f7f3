import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createTokenVerifier } from '../src/auth';
import { AppError } from '../src/errors';
import { createTestIssuer } from '../src/testing/tokens';

const TENANT = '0190aaaa-0000-7000-8000-00000000000a';
const USER = '0190aaaa-0000-7000-8000-000000000001';

describe('createTokenVerifier', () => {
  const issuer = createTestIssuer({ issuer: 'https://identity.test', audience: 'geminis' });
  let server: Server;
  let jwksUri: string;
  let fetches = 0;
  let served = issuer.jwks;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(served));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const verifier = () =>
    createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      jwksCooldownMs: 60_000,
    });
  const rejects401 = async (token: string) => {
    const err: unknown = await verifier()
      .verify(token)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).status).toBe(401);
    expect((err as AppError).code).toBe('auth.invalid_token');
    return err as AppError;
  };

  it('accepts a valid token and returns the auth context from its claims', async () => {
    const token = issuer.sign({ sub: USER, role: 'reseller', tid: TENANT, jti: 'j1' });
    await expect(verifier().verify(token)).resolves.toEqual({
      userId: USER,
      role: 'reseller',
      tenantId: TENANT,
      tokenId: 'j1',
      issuedAt: expect.any(Number) as number,
    });
  });

  it('rejects alg none', async () => {
    const [, payload] = issuer.sign({ tid: TENANT }).split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: issuer.kid })).toString(
      'base64url',
    );
    await rejects401(`${header}.${payload}.`);
  });

  it('rejects HS256 signed with the public key', async () => {
    const token = jwt.sign(
      { sub: USER, role: 'admin', tid: TENANT, jti: 'x', iss: issuer.issuer, aud: issuer.audience },
      issuer.publicKeyPem,
      {
        algorithm: 'HS256',
        expiresIn: 600,
        header: { alg: 'HS256', typ: 'at+jwt', kid: issuer.kid },
      },
    );
    await rejects401(token);
  });

  it('rejects a wrong issuer', () => rejects401(issuer.sign({ iss: 'https://evil.test' })));
  it('rejects a wrong audience', () => rejects401(issuer.sign({ aud: 'someone-else' })));
  it('rejects an expired token', () => rejects401(issuer.sign({ exp: Math.floor(Date.now() / 1000) - 120 })));
  it('rejects a token without exp', () => rejects401(issuer.sign({ exp: undefined })));
  it('rejects a token without tid', () => rejects401(issuer.sign({ tid: undefined })));
  it('rejects an unknown role', () => rejects401(issuer.sign({ role: 'superadmin' as never })));
  it('rejects a token typed as a plain JWT', () => rejects401(issuer.sign({}, { typ: 'JWT' })));
  it('rejects a refresh-style token even when its claims look right', () =>
    rejects401(issuer.sign({ token_use: 'refresh' }, { typ: 'refresh+jwt' })));
  it('rejects a token without typ', () => rejects401(issuer.sign({}, { typ: undefined })));
  it('rejects a token without kid', () => rejects401(issuer.sign({}, { kid: undefined })));
  it('rejects a token without jti', () => rejects401(issuer.sign({ jti: undefined })));
  it('rejects a token without sub', () => rejects401(issuer.sign({ sub: undefined })));
  it('rejects a token without iat', () => rejects401(issuer.sign({ iat: undefined })));
  it('rejects a token issued in the future', () =>
    rejects401(issuer.sign({ iat: Math.floor(Date.now() / 1000) + 3600 })));
  it('accepts a token expired by less than the clock tolerance', async () => {
    const token = issuer.sign({ exp: Math.floor(Date.now() / 1000) - 5 });
    await expect(verifier().verify(token)).resolves.toMatchObject({ role: 'client' });
  });
  it('rejects an unknown kid', () => rejects401(issuer.sign({}, { kid: 'nobody-knows-me' })));
  it('rejects a malformed kid without looking it up', () =>
    rejects401(issuer.sign({}, { kid: '../../etc/passwd' })));
  it('rejects garbage', () => rejects401('not-a-jwt'));

  it('rejects a tampered payload', async () => {
    const [header, , signature] = issuer.sign({ role: 'client', tid: TENANT }).split('.');
    const forged = Buffer.from(
      JSON.stringify({
        sub: USER,
        role: 'admin',
        tid: TENANT,
        jti: 'j',
        iss: issuer.issuer,
        aud: issuer.audience,
        iat: 1,
        exp: 9999999999,
      }),
    ).toString('base64url');
    await rejects401(`${header}.${forged}.${signature}`);
  });

  it('rejects a token signed by another key that claims a known kid', async () => {
    const other = createTestIssuer({ issuer: issuer.issuer, audience: issuer.audience });
    await rejects401(other.sign({}, { kid: issuer.kid }));
  });

  const flood = (n: number) =>
    Array.from({ length: n }, () =>
      issuer.sign({}, { kid: `random-${Math.random().toString(36).slice(2)}` }),
    );

  it('fetches the JWKS once for a concurrent flood of unknown kids on a cold cache', async () => {
    const v = verifier();
    const before = fetches;
    const results = await Promise.allSettled(flood(50).map((t) => v.verify(t)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(fetches - before).toBe(1);
  });

  it('does not refetch the JWKS for unknown kids within the cooldown', async () => {
    const v = verifier();
    await v.verify(issuer.sign({ tid: TENANT })); // warm: one fetch
    const before = fetches;
    for (const token of flood(25)) await v.verify(token).catch(() => undefined);
    await Promise.allSettled(flood(25).map((t) => v.verify(t)));
    expect(fetches - before).toBe(0);
  });

  it('answers 401, not 500, when the JWKS endpoint is unreachable', async () => {
    const v = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri: 'http://127.0.0.1:1/.well-known/jwks.json',
    });
    const err = await v.verify(issuer.sign({})).catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ status: 401, code: 'auth.invalid_token' });
  });

  it('verifies with a key resolver instead of a JWKS URL', async () => {
    const v = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKeyPem : undefined),
    });
    await expect(v.verify(issuer.tokenFor('admin', TENANT, USER))).resolves.toMatchObject({
      userId: USER,
      role: 'admin',
      tenantId: TENANT,
    });
  });

  it('picks up a rotated key on a miss once the cooldown has passed', async () => {
    const rotated = createTestIssuer({ issuer: issuer.issuer, audience: issuer.audience });
    const v = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      jwksCooldownMs: 50,
    });
    await v.verify(issuer.sign({}));
    served = { keys: [...issuer.jwks.keys, ...rotated.jwks.keys] };
    // Within the cooldown the new kid is still unknown; once it has passed, the miss refetches.
    await expect(v.verify(rotated.sign({ tid: TENANT }))).rejects.toMatchObject({ status: 401 });
    await new Promise((r) => setTimeout(r, 80));
    await expect(v.verify(rotated.sign({ tid: TENANT }))).resolves.toMatchObject({ tenantId: TENANT });
    served = issuer.jwks;
  });
});
