import { Writable } from 'node:stream';
import { z } from 'zod';
import { createTokenVerifier } from '../src/auth';
import { ConflictError, parseInput, TooManyRequestsError } from '../src/errors';
import {
  authOf,
  createHttpApp,
  createRoutes,
  listen,
  SERVICE_KEY_HEADER,
  type ListeningServer,
} from '../src/http';
import { createLogger } from '../src/logger';
import { createTestIssuer } from '../src/testing/tokens';

const json = async (res: Response): Promise<any> => res.json();
const TENANT = '0190aaaa-0000-7000-8000-00000000000a';
const USER = '0190aaaa-0000-7000-8000-000000000001';

describe('createHttpApp', () => {
  const issuer = createTestIssuer({ issuer: 'https://identity.test', audience: 'geminis' });
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
    routes.get('/v1/me', { authenticated: true }, (_req, res, auth) => {
      res.json({ userId: auth.userId, role: auth.role });
    });
    routes.get('/v1/busy', { public: true }, () => {
      throw new TooManyRequestsError('things.rate_limited', 'slow down', { retryAfterSeconds: 7 });
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

  it('answers 401 problem+json with WWW-Authenticate when the token is missing', async () => {
    const res = await post('/v1/things', '{}');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await json(res)).code).toBe('auth.missing_token');
  });

  it('answers 401 for a token signed by another key under a known kid', async () => {
    const forged = createTestIssuer().sign({ role: 'admin' }, { kid: issuer.kid });
    const res = await post('/v1/things', '{}', forged);
    expect(res.status).toBe(401);
    expect((await json(res)).code).toBe('auth.invalid_token');
  });

  it('answers 401 for a scheme other than Bearer', async () => {
    const res = await call('/v1/me', { headers: { authorization: `Basic ${reseller()}` } });
    expect(res.status).toBe(401);
  });

  it('gives any authenticated caller of an { authenticated: true } route its auth context', async () => {
    const res = await call('/v1/me', {
      headers: { authorization: `Bearer ${issuer.tokenFor('client', TENANT, USER)}` },
    });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ userId: USER, role: 'client' });
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
    const problem = await json(res);
    expect(problem.code).toBe('request.too_large');
    // Like every refusal of input, it names what was wrong: the body, and the limit.
    expect(problem.errors).toEqual([
      { field: '(body)', message: expect.stringMatching(/^must be at most \d+ bytes$/) },
    ]);
  });

  it('answers a non-JSON body with 415', async () => {
    const res = await post('/v1/things', 'name=x', reseller(), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
    expect((await json(res)).code).toBe('request.unsupported_media_type');
  });

  it('sets Retry-After from the error', async () => {
    const res = await call('/v1/busy');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('7');
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
    expect(JSON.parse(text)).toMatchObject({ code: 'internal', status: 500, type: 'about:blank' });
  });

  it('echoes a sane inbound request id and puts it in problems', async () => {
    const res = await call('/v1/nothing-here', { headers: { 'x-request-id': 'req-123' } });
    expect(res.headers.get('x-request-id')).toBe('req-123');
    expect((await json(res)).requestId).toBe('req-123');
  });

  it('replaces an unsafe inbound request id with a generated UUIDv7', async () => {
    const res = await call('/v1/nothing-here', { headers: { 'x-request-id': 'bad id\twith "quotes"' } });
    const id = res.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect((await json(res)).requestId).toBe(id);
  });

  it('passes raw bytes through untouched on raw-body paths', async () => {
    const bytes = Buffer.from('{"b": 1,  "a":2}\n\u00e9', 'utf8');
    const res = await call('/v1/callbacks/psp', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(204);
    expect(Buffer.isBuffer(received.at(-1))).toBe(true);
    expect(received.at(-1)?.equals(bytes)).toBe(true);
  });

  it('reports ready when every check passes', async () => {
    expect((await call('/readyz')).status).toBe(200);
  });

  it('answers 503 problem+json naming the failing check, without its error text', async () => {
    dbHealthy = false;
    const res = await call('/readyz');
    dbHealthy = true;
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    const problem = await json(res);
    expect(problem).toMatchObject({ code: 'service.not_ready', status: 503 });
    expect(problem.detail).toContain('database');
    expect(problem.detail).not.toContain('connection refused');
  });

  it('answers 503 for a readiness check that hangs past its timeout', async () => {
    const app = createHttpApp({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      routes: [],
      readiness: { broker: () => new Promise<void>(() => undefined), database: async () => undefined },
      readinessTimeoutMs: 50,
    });
    const s = await listen(app, 0);
    try {
      const res = await fetch(`${s.url}/readyz`);
      expect(res.status).toBe(503);
      const detail: string = (await json(res)).detail;
      expect(detail).toContain('broker');
      expect(detail).not.toContain('database');
    } finally {
      await s.close();
    }
  });

  it('answers /healthz while a readiness check fails', async () => {
    dbHealthy = false;
    const res = await call('/healthz');
    dbHealthy = true;
    expect(res.status).toBe(200);
  });

  it('refuses to declare a route without an access rule', () => {
    const routes = createRoutes();
    // @ts-expect-error — the type system refuses it too
    expect(() => routes.get('/v1/oops', {}, () => undefined)).toThrow(/must be \{ public: true \}/);
  });

  it('refuses an empty role list, an unknown role and a route both public and guarded', () => {
    const routes = createRoutes();
    // @ts-expect-error — an empty role list would lock everyone out (or, worse, be read as "anyone")
    expect(() => routes.get('/v1/a', { roles: [] }, () => undefined)).toThrow();
    // @ts-expect-error — not a role
    expect(() => routes.get('/v1/b', { roles: ['root'] }, () => undefined)).toThrow();
    // @ts-expect-error — public and guarded at once is ambiguous
    expect(() => routes.get('/v1/c', { public: true, roles: ['admin'] }, () => undefined)).toThrow();
    // @ts-expect-error — public: false is not a rule
    expect(() => routes.get('/v1/d', { public: false }, () => undefined)).toThrow();
    expect(routes.list()).toEqual([]);
  });

  it('lists every route with its access rule', () => {
    const routes = createRoutes();
    routes.post('/v1/auth/login', { public: true }, () => undefined);
    routes.get('/v1/things/:id', { roles: ['admin', 'reseller'] }, () => undefined);
    routes.delete('/v1/me', { authenticated: true }, () => undefined);
    routes.get('/internal/v1/secrets/:id', { service: true }, () => undefined);
    expect(routes.list()).toEqual([
      { method: 'POST', path: '/v1/auth/login', access: 'public' },
      { method: 'GET', path: '/v1/things/:id', access: { roles: ['admin', 'reseller'] } },
      { method: 'DELETE', path: '/v1/me', access: { roles: ['admin', 'reseller', 'client'] } },
      { method: 'GET', path: '/internal/v1/secrets/:id', access: 'service' },
    ]);
    // @ts-expect-error — a route is for services or for users, not both
    expect(() => routes.get('/v1/e', { service: true, roles: ['admin'] }, () => undefined)).toThrow();
  });

  it('logs a failure once, with the request id and tenant, and never the bearer token', async () => {
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const routes = createRoutes();
    routes.get('/v1/fail', { authenticated: true }, () => {
      throw new Error('boom');
    });
    const app = createHttpApp({
      service: 'logged',
      logger: createLogger({ service: 'logged', level: 'info', destination }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      routes: [routes],
    });
    const s = await listen(app, 0);
    const token = issuer.tokenFor('reseller', TENANT);
    try {
      const res = await fetch(`${s.url}/v1/fail`, {
        headers: { authorization: `Bearer ${token}`, 'x-request-id': 'log-req-1' },
      });
      expect(res.status).toBe(500);
      await res.text();
    } finally {
      await s.close();
    }
    const failures = lines.filter((l) => l.msg === 'request failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({
      level: 50,
      requestId: 'log-req-1',
      tenantId: TENANT,
      code: 'internal',
    });
    expect(JSON.stringify(lines)).not.toContain(token);
    // One access line, with the caller and without any header (nothing there to leak).
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toEqual([
      expect.objectContaining({
        level: 40,
        requestId: 'log-req-1',
        tenantId: TENANT,
        method: 'GET',
        url: '/v1/fail',
        status: 500,
      }),
    ]);
    expect(access[0]).not.toHaveProperty('req');
  });

  it('refuses to build an app with authenticated routes but no verifier', () => {
    const routes = createRoutes();
    routes.get('/v1/things', { roles: ['admin'] }, () => undefined);
    expect(() =>
      createHttpApp({
        service: 'test',
        logger: createLogger({ service: 'test', level: 'silent' }),
        routes: [routes],
      }),
    ).toThrow(/no verifier/);
  });

  it('refuses to build an app with service routes but no service key', () => {
    const routes = createRoutes();
    routes.get('/internal/v1/secrets/:id', { service: true }, () => undefined);
    expect(() =>
      createHttpApp({
        service: 'test',
        logger: createLogger({ service: 'test', level: 'silent' }),
        routes: [routes],
      }),
    ).toThrow(/no serviceKey/);
  });
});

describe('service routes', () => {
  const issuer = createTestIssuer({ issuer: 'https://identity.test', audience: 'geminis' });
  const KEY = 'k'.repeat(40);
  let server: ListeningServer;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const routes = createRoutes();
    routes.get('/internal/v1/secrets/:id', { service: true }, (req, res) => {
      req.log.info('secret served');
      res.json({ id: req.params.id, secret: 's3cr3t' });
    });
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    const app = createHttpApp({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'info', destination: sink }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      serviceKey: KEY,
      routes: [routes],
    });
    server = await listen(app, 0);
  });
  afterAll(() => server.close());

  const get = (headers: Record<string, string>) => fetch(`${server.url}/internal/v1/secrets/7`, { headers });

  it('serves a caller presenting the service key', async () => {
    const res = await get({ [SERVICE_KEY_HEADER]: KEY });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ id: '7', secret: 's3cr3t' });
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { [SERVICE_KEY_HEADER]: 'x'.repeat(40) }],
    ['a prefix of the key', { [SERVICE_KEY_HEADER]: KEY.slice(0, 20) }],
  ])('answers 401 problem+json for %s', async (_what, headers: Record<string, string>) => {
    const res = await get(headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(await json(res)).toMatchObject({ code: 'auth.service_key' });
  });

  it("does not accept a user's token, not even an admin's", async () => {
    const res = await get({ authorization: `Bearer ${issuer.tokenFor('admin', TENANT)}` });
    expect(res.status).toBe(401);
    expect(await json(res)).toMatchObject({ code: 'auth.service_key' });
  });

  it('never logs the key', async () => {
    const res = await get({ [SERVICE_KEY_HEADER]: KEY });
    await res.text();
    expect(lines.some((l) => l.msg === 'secret served' && l.caller === 'service')).toBe(true);
    expect(JSON.stringify(lines)).not.toContain(KEY);
  });
});

describe('checkResponses', () => {
  const Thing = z.object({ id: z.string(), at: z.iso.datetime(), note: z.string().optional() });
  const build = (checkResponses: boolean) => {
    const routes = createRoutes();
    const spec = { responses: { 200: Thing, 204: null } };
    routes.get('/v1/ok', { public: true }, spec, (_req, res) => {
      res.json({ id: 'a', at: new Date(0) }); // a Date goes on the wire as an ISO string
    });
    routes.get('/v1/wrong-type', { public: true }, spec, (_req, res) => {
      res.json({ id: 1, at: new Date(0) });
    });
    routes.get('/v1/extra-field', { public: true }, spec, (_req, res) => {
      res.json({ id: 'a', at: new Date(0), passwordHash: 'x' });
    });
    routes.get('/v1/undeclared-status', { public: true }, spec, (_req, res) => {
      res.status(201).json({ id: 'a', at: new Date(0) });
    });
    routes.get('/v1/empty', { public: true }, spec, (_req, res) => {
      res.status(204).end();
    });
    routes.get('/v1/bodiless-200', { public: true }, spec, (_req, res) => {
      res.sendStatus(200); // 200 promises a Thing
    });
    routes.get('/v1/undeclared-bodiless', { public: true }, { responses: { 200: Thing } }, (_req, res) => {
      res.status(204).end();
    });
    routes.get('/v1/problem', { public: true }, spec, () => {
      throw new ConflictError('things.duplicate', 'a thing with this name exists');
    });
    return createHttpApp({
      service: 'test',
      logger: createLogger({ service: 'test', level: 'silent' }),
      routes: [routes],
      checkResponses,
    });
  };
  let checked: ListeningServer;
  let unchecked: ListeningServer;
  beforeAll(async () => {
    checked = await listen(build(true), 0);
    unchecked = await listen(build(false), 0);
  });
  afterAll(async () => {
    await checked.close();
    await unchecked.close();
  });

  it('lets through an answer that matches its schema as sent', async () => {
    const res = await fetch(`${checked.url}/v1/ok`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ id: 'a', at: '1970-01-01T00:00:00.000Z' });
    expect((await fetch(`${checked.url}/v1/empty`)).status).toBe(204);
    expect((await fetch(`${checked.url}/v1/problem`)).status).toBe(409);
  });

  it.each([
    '/v1/wrong-type',
    '/v1/extra-field',
    '/v1/undeclared-status',
    '/v1/bodiless-200',
    '/v1/undeclared-bodiless',
  ])('turns %s into a 500', async (path) => {
    const res = await fetch(checked.url + path);
    expect(res.status).toBe(500);
    await res.text();
    // Without the check the same handlers answer as they are.
    expect((await fetch(unchecked.url + path)).status).not.toBe(500);
  });
});
