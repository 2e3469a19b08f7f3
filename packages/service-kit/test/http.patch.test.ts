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

describe('client address', () => {
  const appWith = async (trustProxy?: string[]) => {
    const routes = createRoutes();
    routes.get('/v1/ip', { public: true }, (req, res) => {
      res.json({ ip: req.ip });
    });
    return listen(
      createHttpApp({
        service: 'ip',
        logger: createLogger({ service: 'ip', level: 'silent' }),
        routes: [routes],
        ...(trustProxy ? { trustProxy } : {}),
      }),
      0,
    );
  };
  const ipSeen = async (server: ListeningServer) =>
    (
      (await (
        await fetch(`${server.url}/v1/ip`, { headers: { 'x-forwarded-for': '198.51.100.1' } })
      ).json()) as {
        ip: string;
      }
    ).ip;

  it("takes the client from a trusted peer's X-Forwarded-For (the gateway), and only then", async () => {
    const trusting = await appWith();
    const closed = await appWith([]);
    try {
      expect(await ipSeen(trusting)).toBe('198.51.100.1');
      expect(await ipSeen(closed)).not.toBe('198.51.100.1');
    } finally {
      await trusting.close();
      await closed.close();
    }
  });
});
