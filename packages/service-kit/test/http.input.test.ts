import { z } from 'zod';
import { createTokenVerifier } from '../src/auth';
import { bodyOf, createHttpApp, createRoutes, listen, queryOf, type ListeningServer } from '../src/http';
import { createLogger } from '../src/logger';
import { createTestIssuer } from '../src/testing/tokens';

const json = async (res: Response): Promise<any> => res.json();
const TENANT = '0190aaaa-0000-7000-8000-00000000000a';

describe('declared route input', () => {
  const issuer = createTestIssuer({ issuer: 'https://identity.test', audience: 'geminis' });
  const Thing = z.object({ name: z.string().min(1), price: z.number().int().min(0) }).strict();
  const Page = z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }).strict();
  let parses = 0;
  const Counted = z
    .object({ name: z.string() })
    .strict()
    .transform((v) => {
      parses += 1;
      return { ...v, name: v.name.toUpperCase() };
    });
  const handled: string[] = [];
  let server: ListeningServer;

  beforeAll(async () => {
    const routes = createRoutes();
    routes.post('/v1/things', { public: true }, { body: Thing }, (req, res) => {
      handled.push('things');
      res.status(201).json(bodyOf(req, Thing));
    });
    routes.get('/v1/things', { public: true }, { query: Page }, (req, res) => {
      handled.push('list');
      res.json(queryOf(req, Page));
    });
    routes.post('/v1/counted', { public: true }, { body: Counted }, (req, res) => {
      res.json({ first: bodyOf(req, Counted), again: bodyOf(req, Counted) });
    });
    routes.post('/v1/stricter', { public: true }, { body: z.object({ name: z.string() }) }, (req, res) => {
      res.json(bodyOf(req, z.object({ name: z.string() }).strict()));
    });
    routes.post('/v1/guarded', { roles: ['admin'] }, { body: Thing }, (_req, res) => {
      res.status(204).end();
    });
    const app = createHttpApp({
      service: 'input',
      logger: createLogger({ service: 'input', level: 'silent' }),
      verifier: createTokenVerifier({
        issuer: issuer.issuer,
        audience: issuer.audience,
        keyResolver: async (kid) => (kid === issuer.kid ? issuer.publicKey : undefined),
      }),
      routes: [routes],
    });
    server = await listen(app, 0);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    handled.length = 0;
  });

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(server.url + path, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', ...headers },
    });

  it('refuses an invalid declared body with a 400 naming the field, before the handler runs', async () => {
    const res = await post('/v1/things', { name: 'x', price: -1 });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect((await json(res)).errors).toEqual([expect.objectContaining({ field: 'price' })]);
    expect(handled).toEqual([]);
  });

  it('refuses an invalid declared query with a 400 naming the parameter, before the handler runs', async () => {
    const res = await fetch(`${server.url}/v1/things?limit=0`);
    expect(res.status).toBe(400);
    expect((await json(res)).errors).toEqual([expect.objectContaining({ field: 'limit' })]);
    expect(handled).toEqual([]);
  });

  it('hands the handler the parsed body and query through bodyOf and queryOf', async () => {
    const created = await post('/v1/things', { name: 'x', price: 5 });
    expect(created.status).toBe(201);
    expect(await json(created)).toEqual({ name: 'x', price: 5 });
    expect(await json(await fetch(`${server.url}/v1/things?limit=7`))).toEqual({ limit: 7 });
    expect(handled).toEqual(['things', 'list']);
  });

  it('parses a declared body once, however often the handler asks for it with the same schema', async () => {
    const before = parses;
    const res = await post('/v1/counted', { name: 'abc' });
    expect(await json(res)).toEqual({ first: { name: 'ABC' }, again: { name: 'ABC' } });
    expect(parses - before).toBe(1);
  });

  it('validates again with a schema other than the declared one', async () => {
    const res = await post('/v1/stricter', { name: 'x', extra: true });
    expect(res.status).toBe(400);
  });

  it('authenticates before it validates the body', async () => {
    const res = await post('/v1/guarded', { name: '' });
    expect(res.status).toBe(401);
    const denied = await post(
      '/v1/guarded',
      { name: '' },
      { authorization: `Bearer ${issuer.tokenFor('client', TENANT)}` },
    );
    expect(denied.status).toBe(403);
  });
});
