import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { createTokenVerifier, scopeFor } from '../src/auth';
import { AppError } from '../src/errors';
import { createTestIssuer } from '../src/testing/tokens';

const TENANT = '0190aaaa-0000-7000-8000-00000000000a';
const USER = '0190aaaa-0000-7000-8000-000000000001';

describe('access token verifier', () => {
  const issuer = createTestIssuer();
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
    return err as AppError;
  };

  it('accepts a valid token and returns the auth context from its claims', async () => {
    const token = issuer.sign({ sub: USER, role: 'reseller', tid: TENANT, jti: 'j1' });
    await expect(verifier().verify(token)).resolves.toEqual({
      userId: USER,
      role: 'reseller',
      tenantId: TENANT,
      tokenId: 'j1',
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
  it('rejects a token that is not typed as an access token', () =>
    rejects401(issuer.sign({}, { typ: 'JWT' })));
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
    const other = createTestIssuer(issuer.issuer, issuer.audience);
    await rejects401(other.sign({}, { kid: issuer.kid }));
  });

  it('fetches the JWKS at most once per cooldown under a flood of unknown kids', async () => {
    const v = verifier();
    await v.verify(issuer.sign({ tid: TENANT })); // warm
    const before = fetches;
    const flood = Array.from({ length: 50 }, (_, i) => issuer.sign({}, { kid: `random-${i}` }));
    await Promise.all(flood.map((t) => v.verify(t).catch(() => undefined)));
    expect(fetches - before).toBe(0);
  });

  it('picks up a rotated key on a miss once the cooldown has passed', async () => {
    const rotated = createTestIssuer(issuer.issuer, issuer.audience);
    const v = createTokenVerifier({
      issuer: issuer.issuer,
      audience: issuer.audience,
      jwksUri,
      jwksCooldownMs: 50,
    });
    await v.verify(issuer.sign({}));
    served = { keys: [...issuer.jwks.keys, ...rotated.jwks.keys] };
    await new Promise((r) => setTimeout(r, 80));
    await expect(v.verify(rotated.sign({ tid: TENANT }))).resolves.toMatchObject({ tenantId: TENANT });
    served = issuer.jwks;
  });
});

describe('scopeFor', () => {
  const ctx = (role: 'admin' | 'reseller' | 'client') => ({
    userId: USER,
    role,
    tenantId: TENANT,
    tokenId: 'j',
  });
  const OTHER = '0190bbbb-0000-7000-8000-00000000000b';

  it('gives an admin all tenants, or the one it narrows to, and audits the narrowing', () => {
    const audit = jest.fn();
    expect(scopeFor(ctx('admin'), undefined, audit)).toEqual({ kind: 'all' });
    expect(audit).not.toHaveBeenCalled();
    expect(scopeFor(ctx('admin'), OTHER, audit)).toEqual({ kind: 'tenant', tenantId: OTHER });
    expect(audit).toHaveBeenCalledWith({ userId: USER, tenantId: OTHER, reason: 'admin_narrowing' });
  });

  it('never lets a reseller or client move to another tenant with a filter', () => {
    expect(scopeFor(ctx('reseller'), OTHER)).toEqual({ kind: 'tenant', tenantId: TENANT });
    expect(scopeFor(ctx('client'), OTHER)).toEqual({ kind: 'tenant', tenantId: TENANT });
  });
});
