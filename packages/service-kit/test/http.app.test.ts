import { z } from 'zod';
import { createTokenVerifier } from '../src/auth';
import { ConflictError, parseInput } from '../src/errors';
import { authOf, createHttpApp, createRoutes, listen, type ListeningServer } from '../src/http';
import { createLogger } from '../src/logger';
import { createTestIssuer } from '../src/testing/tokens';

const json = async (res: Response): Promise<any> => res.json();
const TENANT = '0190aaaa-0000-7000-8000-00000000000a';

describe('http app', () => {
  const issuer = createTestIssuer();
  let server: ListeningServer;
  let dbHealthy = true;
  const received: Buffer[] = [];

  beforeAll(async () => {
    const routes = createRoutes();
    routes.post('/v1/things', { roles: ['admin', 'reseller'] }, async (req, res) => {
      const body = parseInput(
        z.object({ name: z.string().min(1), price: z.number().int().nonnegative() }),
        req.body,
      );
      res.status(201).json({ ...body, tenantId: authOf(req).tenantId });
    });
    routes.get('/v1/public', { public: true }, (_req, res) => {
      res.json({ ok: true });
    });
    routes.get('/v1/boom', { public: true }, () => {
      throw new Error('secret internals: password=hunter2');
    });
    routes.get('/v1/conflict', { public: true }, () => {
      throw new ConflictError('things.duplicate', 'a thing with this name exists');
    });
    routes.post('/v1/callbacks/psp', { public: true }, (req, res) => {
      received.push(req.body as Buffer);
      res.status(204).end();
    });
    const app = createHttpApp({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      routes: [routes],
      readiness: {
        database: async () => {
          if (!dbHealthy) throw new Error('connection refused');
        },
      },
      bodyLimit: '1kb',
      rawBodyPaths: ['/v1/callbacks/*'],
    });
    server = await listen(app, 0);
  });
  afterAll(() => server.close());

  const call = (path: string, init: RequestInit = {}) => fetch(server.url + path, init);
  const post = (path: string, body: string, token?: string, type = 'application/json') =>
    call(path, {
      method: 'POST',
      body,
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    });
  const reseller = () => issuer.tokenFor('reseller', TENANT);

  it('serves an authenticated route for an allowed role, with the tenant from the token', async () => {
    const res = await post('/v1/things', JSON.stringify({ name: 'x', price: 5 }), reseller());
    expect(res.status).toBe(201);
    expect(await json(res)).toEqual({ name: 'x', price: 5, tenantId: TENANT });
  });

  it('answers 401 problem+json without a token and with a forged one', async () => {
    for (const token of [undefined, createTestIssuer().sign({}, { kid: issuer.kid })]) {
      const res = await post('/v1/things', '{}', token);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('answers 403 for a role the route does not allow', async () => {
    const res = await post('/v1/things', '{}', issuer.tokenFor('client', TENANT));
    expect(res.status).toBe(403);
    expect((await json(res)).code).toBe('auth.forbidden');
  });

  it('names every invalid field in a 400', async () => {
    const res = await post('/v1/things', JSON.stringify({ name: '', price: -1 }), reseller());
    expect(res.status).toBe(400);
    const problem = await json(res);
    expect(problem.code).toBe('request.invalid');
    expect(problem.errors.map((e: { field: string }) => e.field).sort()).toEqual(['name', 'price']);
  });

  it('answers malformed JSON with 400', async () => {
    const res = await post('/v1/things', '{"name":', reseller());
    expect(res.status).toBe(400);
    expect((await json(res)).code).toBe('request.malformed_json');
  });

  it('answers an oversize body with 413', async () => {
    const res = await post('/v1/things', JSON.stringify({ name: 'x'.repeat(5000), price: 1 }), reseller());
    expect(res.status).toBe(413);
    expect((await json(res)).code).toBe('request.too_large');
  });

  it('answers a non-JSON body with 415', async () => {
    const res = await post('/v1/things', 'name=x', reseller(), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
  });

  it('answers an unknown route with 404 problem+json', async () => {
    const res = await call('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect((await json(res)).code).toBe('route.not_found');
  });

  it('maps domain errors to their status and code', async () => {
    const res = await call('/v1/conflict');
    expect(res.status).toBe(409);
    expect(await json(res)).toMatchObject({ code: 'things.duplicate', status: 409, title: 'Conflict' });
  });

  it('hides the internals of an unexpected error behind a plain 500', async () => {
    const res = await call('/v1/boom');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/hunter2|secret internals/);
    expect(JSON.parse(text)).toMatchObject({ code: 'internal', status: 500 });
  });

  it('echoes a sane request id and puts it in problems', async () => {
    const res = await call('/v1/nothing-here', { headers: { 'x-request-id': 'req-123' } });
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect((await json(res)).requestId).toBe('req-123');
    const generated = await call('/v1/public', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes raw bytes through untouched on raw-body paths', async () => {
    const bytes = '{"b": 1,  "a":2}\n';
    const res = await post('/v1/callbacks/psp', bytes, undefined, 'application/json');
    expect(res.status).toBe(204);
    expect(received.at(-1)?.toString('utf8')).toBe(bytes);
  });

  it('reports readiness, and names the failing check when not ready', async () => {
    expect((await call('/readyz')).status).toBe(200);
    dbHealthy = false;
    const res = await call('/readyz');
    dbHealthy = true;
    expect(res.status).toBe(503);
    expect((await json(res)).detail).toMatch(/database \(connection refused\)/);
    expect((await call('/healthz')).status).toBe(200);
  });

  it('refuses to declare a route that is neither public nor role-guarded', () => {
    const routes = createRoutes();
    // @ts-expect-error — the type system refuses it too
    expect(() => routes.get('/v1/oops', {}, () => undefined)).toThrow(
      /must be \{ public: true \} or \{ roles/,
    );
    expect(() => routes.get('/v1/oops', { roles: [] }, () => undefined)).toThrow();
  });
});
