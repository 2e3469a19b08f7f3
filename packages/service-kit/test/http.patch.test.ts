import { z } from 'zod';
import { bodyOf, createHttpApp, createRoutes, listen, type ListeningServer } from '../src/http';
import { createLogger } from '../src/logger';

/** A PATCH changes what it names and nothing else, whatever defaults its schema carries. */
describe('PATCH bodies', () => {
  const Fields = z.object({
    description: z.string().default(''),
    active: z.boolean().default(true),
    limits: z.object({ max: z.number().int().nullable().default(null) }).default({ max: null }),
  });
  const Patch = Fields.partial().strict();
  let server: ListeningServer;

  beforeAll(async () => {
    const routes = createRoutes();
    routes.patch('/v1/declared', { public: true }, { body: Patch }, (req, res) => {
      res.json(bodyOf(req, Patch));
    });
    routes.patch('/v1/undeclared', { public: true }, (req, res) => {
      res.json(bodyOf(req, Patch));
    });
    routes.post('/v1/created', { public: true }, { body: Fields }, (req, res) => {
      res.json(bodyOf(req, Fields));
    });
    const app = createHttpApp({
      service: 'patch',
      logger: createLogger({ service: 'patch', level: 'silent' }),
      routes: [routes],
    });
    server = await listen(app, 0);
  });
  afterAll(() => server.close());

  const send = async (method: string, path: string, body: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  it.each(['/v1/declared', '/v1/undeclared'])(
    'drops the defaults of fields the caller did not send (%s)',
    async (path) => {
      expect(await send('PATCH', path, { description: 'only this' })).toEqual({
        status: 200,
        body: { description: 'only this' },
      });
    },
  );

  it('keeps a sent field whole, defaults inside it included', async () => {
    expect((await send('PATCH', '/v1/declared', { limits: {} })).body).toEqual({ limits: { max: null } });
  });

  it('still applies defaults on a create', async () => {
    expect((await send('POST', '/v1/created', {})).body).toEqual({
      description: '',
      active: true,
      limits: { max: null },
    });
  });
});
