import { z } from 'zod';
import { createRoutes, serviceOpenApi } from '../src/http';

type Operation = {
  summary?: string;
  parameters?: { name: string; in: string; required: boolean; schema: Record<string, unknown> }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
};

const operation = (doc: Record<string, unknown>, path: string, method: string) =>
  (doc.paths as Record<string, Record<string, Operation>>)[path]![method]!;

describe('serviceOpenApi', () => {
  it('documents a declared body as the JSON Schema of what the caller sends, with its required fields', () => {
    const Body = z
      .object({
        name: z.string().min(1).max(200),
        price: z.number().int().min(0),
        currency: z.string().default('EUR'),
        email: z.email().transform((e) => e.toLowerCase()),
      })
      .strict();
    const routes = createRoutes();
    routes.post(
      '/v1/things',
      { roles: ['admin'] },
      { summary: 'Create a thing', body: Body },
      () => undefined,
    );

    const op = operation(serviceOpenApi('things', routes.list()), '/v1/things', 'post');
    expect(op.summary).toBe('Create a thing');
    expect(op.requestBody).toEqual({
      required: true,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 200 },
              price: { type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
              currency: { type: 'string', default: 'EUR' },
              email: expect.objectContaining({ type: 'string', format: 'email' }),
            },
            required: ['name', 'price', 'email'],
            additionalProperties: false,
          },
        },
      },
    });
  });

  it('marks the body optional when the schema accepts an absent (empty) one', () => {
    const routes = createRoutes();
    routes.post(
      '/v1/things/:id/suspend',
      { roles: ['admin'] },
      { body: z.object({ reason: z.string().optional() }) },
      () => undefined,
    );
    const op = operation(serviceOpenApi('things', routes.list()), '/v1/things/{id}/suspend', 'post');
    expect(op.requestBody?.required).toBe(false);
  });

  it('documents each property of a declared query as a query parameter, after the path parameters', () => {
    const Query = z
      .object({
        tenantId: z.uuid(),
        limit: z.coerce.number().int().min(1).default(50),
        after: z.string().optional(),
      })
      .strict();
    const routes = createRoutes();
    routes.get('/v1/groups/:id/things', { public: true }, { query: Query }, () => undefined);

    const op = operation(serviceOpenApi('things', routes.list()), '/v1/groups/{id}/things', 'get');
    expect(op.parameters?.map((p) => [p.name, p.in, p.required])).toEqual([
      ['id', 'path', true],
      ['tenantId', 'query', true],
      ['limit', 'query', false],
      ['after', 'query', false],
    ]);
    expect(op.parameters?.[2]?.schema).toEqual({
      type: 'integer',
      format: 'int64',
      minimum: 1,
      maximum: Number.MAX_SAFE_INTEGER,
      default: 50,
    });
    expect(op.requestBody).toBeUndefined();
  });

  it('refuses a schema that cannot be written inline', () => {
    type Node = { children: Node[] };
    const Tree: z.ZodType<Node> = z.object({ children: z.array(z.lazy(() => Tree)) });
    const routes = createRoutes();
    routes.post('/v1/trees', { public: true }, { body: Tree }, () => undefined);
    expect(() => serviceOpenApi('trees', routes.list())).toThrow();
  });

  it('documents the declared answers as sent, and the errors each kind of route can give', () => {
    const Thing = z.object({ id: z.uuid(), name: z.string().regex(/^[a-z]+$/), createdAt: z.iso.datetime() });
    const routes = createRoutes();
    routes.post(
      '/v1/things/:id',
      { roles: ['admin'] },
      { body: z.object({ name: z.string() }), responses: { 200: Thing, 201: Thing } },
      () => undefined,
    );
    routes.delete('/v1/things/:id', { roles: ['admin'] }, { responses: { 204: null } }, () => undefined);
    routes.get(
      '/v1/open',
      { public: true },
      { responses: { 200: z.object({ ok: z.boolean() }) } },
      () => undefined,
    );
    const doc = serviceOpenApi('things', routes.list());

    const post = operation(doc, '/v1/things/{id}', 'post');
    expect(Object.keys(post.responses).sort()).toEqual([
      '200',
      '201',
      '400',
      '401',
      '403',
      '404',
      '429',
      '500',
      '503',
      'default',
    ]);
    expect(post.responses['201']!.content!['application/json']!.schema).toEqual({
      type: 'object',
      // A standard format stands for itself (no copy of zod's regex), with the length its validator
      // bounds; a plain pattern stays.
      properties: {
        id: { type: 'string', format: 'uuid', maxLength: 36 },
        name: { type: 'string', pattern: '^[a-z]+$' },
        createdAt: { type: 'string', format: 'date-time' },
      },
      required: ['id', 'name', 'createdAt'],
      additionalProperties: false,
    });
    expect(post.responses['404']!.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });

    const del = operation(doc, '/v1/things/{id}', 'delete');
    expect(Object.keys(del.responses).sort()).toEqual([
      '204',
      '401',
      '403',
      '404',
      '429',
      '500',
      '503',
      'default',
    ]);
    expect(del.responses['204']).toEqual({ description: 'No content' });

    const open = operation(doc, '/v1/open', 'get');
    expect(Object.keys(open.responses).sort()).toEqual(['200', '429', '500', '503', 'default']);
  });

  it('leaves service-only and /internal routes out', () => {
    const routes = createRoutes();
    routes.get('/internal/v1/brand', { public: true }, () => undefined);
    routes.get('/v1/service-only', { service: true }, () => undefined);
    routes.get('/v1/open', { public: true }, () => undefined);
    expect(Object.keys(serviceOpenApi('things', routes.list()).paths as object)).toEqual(['/v1/open']);
  });

  it('gives every operation a unique, URL-safe operationId and every integer a format', () => {
    const routes = createRoutes();
    const Body = z.object({ small: z.number().int().min(0).max(100), big: z.number().int() });
    routes.post('/v1/things/:id/sub-items', { roles: ['admin'] }, { body: Body }, () => undefined);
    routes.get('/v1/things/:id', { public: true }, () => undefined);
    const doc = serviceOpenApi('things', routes.list());
    const post = operation(doc, '/v1/things/{id}/sub-items', 'post') as Operation & { operationId: string };
    const get = operation(doc, '/v1/things/{id}', 'get') as Operation & { operationId: string };
    expect(post.operationId).toBe('things-post-v1-things-id-sub-items');
    expect(get.operationId).toMatch(/^[A-Za-z0-9-]+$/);
    const props = (post.requestBody!.content['application/json']!.schema as any).properties;
    expect(props.small.format).toBe('int32');
    expect(props.big.format).toBe('int64');
  });
});
