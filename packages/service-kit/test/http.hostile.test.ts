import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { z } from 'zod';
import { createTokenVerifier } from '../src/auth';
import { bodyOf, createHttpApp, createRoutes, listen, type ListeningServer } from '../src/http';
import { createLogger } from '../src/logger';
import { createTestDatabase, type TestDatabase } from '../src/testing/postgres';
import { createTestIssuer } from '../src/testing/tokens';

/**
 * Input that once answered 500 somewhere in the platform, sent to a kit app: each must be a 4xx
 * problem+json before any handler runs (or, for what only the database refuses, a 4xx from the net).
 */
describe('hostile input to a kit app', () => {
  const issuer = createTestIssuer({ issuer: 'https://identity.test', audience: 'geminis' });
  const Thing = z.object({ name: z.string().max(100), config: z.record(z.string(), z.unknown()) }).partial();
  const handled: string[] = [];
  let server: ListeningServer;
  let db: TestDatabase;
  let pg: Client;

  beforeAll(async () => {
    db = await createTestDatabase('gm_kit_hostile');
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const routes = createRoutes();
    routes.post('/v1/things', { public: true }, { body: Thing }, (req, res) => {
      handled.push('post');
      res.status(201).json(bodyOf(req, Thing));
    });
    routes.get('/v1/things/:code', { roles: ['admin'] }, (req, res) => {
      handled.push(`get ${String(req.params.code)}`);
      res.json({ code: req.params.code });
    });
    routes.get('/v1/echo', { public: true }, (req, res) => {
      handled.push('echo');
      res.json({ q: req.query });
    });
    // What only the database refuses: the value goes into a statement as it came.
    routes.get('/v1/cast/:type', { public: true }, async (req, res) => {
      const type = { int: 'int', smallint: 'smallint', date: 'date', tstz: 'timestamptz' }[
        String(req.params.type)
      ];
      const value = typeof req.query.v === 'string' ? req.query.v : '';
      const result = await pg.query(`SELECT $1::${type} AS v`, [value]);
      res.json(result.rows[0]);
    });
    routes.get('/v1/nul-text', { public: true }, async (_req, res) => {
      await pg.query('SELECT $1::text', ['a\u0000b']);
      res.json({});
    });
    routes.get('/v1/duplicate', { public: true }, async (_req, res) => {
      await pg.query('CREATE TEMP TABLE IF NOT EXISTS u (k int PRIMARY KEY)');
      await pg.query('INSERT INTO u VALUES (1) ON CONFLICT DO NOTHING');
      await pg.query('INSERT INTO u VALUES (1)');
      res.json({});
    });
    const app = createHttpApp({
      service: 'hostile',
      logger: createLogger({ service: 'hostile', level: 'silent' }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      routes: [routes],
      bodyLimit: '16kb',
    });
    server = await listen(app, 0);
  });
  afterAll(async () => {
    await server.close();
    await pg.end();
    await db.drop();
  });
  beforeEach(() => {
    handled.length = 0;
  });

  /** Sends bytes exactly as given (fetch would re-encode the path and refuse some headers). */
  const raw = (
    method: string,
    path: string,
    body?: Buffer | string,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; type: string; body: any }> =>
    new Promise((resolve, reject) => {
      const url = new URL(server.url);
      const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: parsed });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const postJson = (text: string, headers: Record<string, string> = {}) =>
    raw('POST', '/v1/things', text, { 'content-type': 'application/json', ...headers });

  const expectProblem = (res: { status: number; type: string; body: any }, status: number) => {
    expect(res.status).toBe(status);
    expect(res.type).toMatch(/application\/problem\+json/);
  };

  it('refuses a NUL character in a body string, naming the field', async () => {
    const res = await postJson(JSON.stringify({ name: 'a\u0000b' }));
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
    expect(handled).toEqual([]);
  });

  it('refuses a NUL character nested in a free-form object and in a query parameter', async () => {
    expectProblem(await postJson(JSON.stringify({ config: { deep: ['ok', 'x\u0000'] } })), 400);
    const res = await raw('GET', '/v1/echo?q=a%00b');
    expectProblem(res, 400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'q' })]);
    expect(handled).toEqual([]);
  });

  it('refuses a lone surrogate, in a value and in a key', async () => {
    expectProblem(await postJson('{"name":"a\\ud800b"}'), 400);
    expectProblem(await postJson('{"config":{"\\udc00":1}}'), 400);
    expect(handled).toEqual([]);
  });

  it('accepts a proper surrogate pair and other Unicode', async () => {
    const res = await postJson(JSON.stringify({ name: 'ok 😀 é 中' }));
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('ok 😀 é 中');
  });

  it('refuses a __proto__, constructor or prototype key instead of dropping it with a 2xx', async () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const res = await postJson(`{"config":{"${key}":{"polluted":true}}}`);
      expectProblem(res, 400);
      expect(res.body.errors).toEqual([expect.objectContaining({ field: `config.${key}` })]);
    }
    expect(handled).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses nesting deeper than any body needs', async () => {
    const deep = '{"config":' + '{"a":'.repeat(40) + '1' + '}'.repeat(40) + '}';
    expectProblem(await postJson(deep), 400);
    expect(handled).toEqual([]);
  });

  it('answers invalid percent-encoding in a path 400, before the role check', async () => {
    for (const path of ['/v1/things/%E0%A4%A', '/v1/things/%', '/v1/things/%ZZ']) {
      const res = await raw('GET', path);
      expectProblem(res, 400);
      expect(res.body.code).toBe('request.malformed_path');
    }
    expect(handled).toEqual([]);
  });

  it('refuses a NUL in a path parameter once the caller is known', async () => {
    const token = issuer.tokenFor('admin', '0190aaaa-0000-7000-8000-00000000000a');
    expectProblem(await raw('GET', '/v1/things/a%00b', undefined, { authorization: `Bearer ${token}` }), 400);
    expectProblem(await raw('GET', '/v1/things/a%00b'), 401);
    expect(handled).toEqual([]);
  });

  it('refuses a path parameter longer than any id or name, naming it, as the API document says', async () => {
    const token = issuer.tokenFor('admin', '0190aaaa-0000-7000-8000-00000000000a');
    const auth = { authorization: `Bearer ${token}` };
    const long = await raw('GET', `/v1/things/${'a'.repeat(256)}`, undefined, auth);
    expectProblem(long, 400);
    expect(long.body.errors).toEqual([{ field: 'code', message: 'must be at most 255 characters' }]);
    expect(handled).toEqual([]);
    expect((await raw('GET', `/v1/things/${'a'.repeat(255)}`, undefined, auth)).status).toBe(200);
  });

  it('answers a Content-Encoding that does not match the body 400, and an unknown one 415', async () => {
    expectProblem(await postJson('{"name":"x"}', { 'content-encoding': 'gzip' }), 400);
    expectProblem(await postJson('{"name":"x"}', { 'content-encoding': 'deflate' }), 400);
    expectProblem(await postJson('{"name":"x"}', { 'content-encoding': 'zstd-nope' }), 415);
    expect(handled).toEqual([]);
  });

  it('answers a body over the limit 413 and a body of the wrong JSON type 400', async () => {
    expectProblem(await postJson(JSON.stringify({ name: 'x'.repeat(20_000) })), 413);
    expectProblem(await postJson('"just a string"'), 400);
    expectProblem(await postJson('[1,2]'), 400);
    expectProblem(await postJson('{"name": 12}'), 400);
    expect(handled).toEqual([]);
  });

  it.each([
    ['int', '99999999999', 'numeric out of range (22003)'],
    ['smallint', '70000', 'numeric out of range (22003)'],
    ['int', 'abc', 'invalid text representation (22P02)'],
    ['date', '0000-01-01', 'datetime field out of range (22008)'],
    ['tstz', '2021-02-30T00:00:00Z', 'datetime field out of range (22008)'],
  ])('answers a value the database refuses as %s (%s: %s) 400, not 500', async (type, value) => {
    const res = await raw('GET', `/v1/cast/${type}?v=${encodeURIComponent(value)}`);
    expectProblem(res, 400);
    expect(res.body.code).toBe('request.invalid_value');
  });

  it('answers text PostgreSQL cannot hold (invalid byte sequence, 22021) 400', async () => {
    const res = await raw('GET', '/v1/nul-text');
    expectProblem(res, 400);
  });

  it('matches routes case-sensitively, as the gateway does', async () => {
    expect((await raw('GET', '/v1/echo')).status).toBe(200);
    for (const path of ['/V1/echo', '/v1/ECHO', '/v1/Echo']) expectProblem(await raw('GET', path), 404);
    expect(handled).toEqual(['echo']);
  });

  it('answers a unique violation no use case caught 409, not 500', async () => {
    expectProblem(await raw('GET', '/v1/duplicate'), 409);
  });
});
