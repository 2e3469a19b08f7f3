import { compileErrors, validate } from '@readme/openapi-parser';
import { createRoutes, serviceOpenApi } from '@geminis/service-kit';
import { z } from 'zod';
import { buildOpenApiDocument, mergeServiceDocuments } from '../src/docs';
import { matchRoute, ROUTES } from '../src/route-table';

const merge = (upstream: string, paths: Record<string, unknown>) =>
  mergeServiceDocuments(buildOpenApiDocument(ROUTES), [{ upstream, doc: { paths } }], (p) =>
    matchRoute(p, ROUTES),
  ).paths as Record<string, any>;

const op = (parameters: { name: string; in: string }[]) => ({
  summary: 'x',
  parameters,
  responses: { '200': { description: 'OK' } },
});

describe('mergeServiceDocuments', () => {
  it("replaces a prefix's placeholder with the service's own operations", () => {
    const paths = merge('identity', {
      '/v1/clients': { get: op([]) },
      '/v1/clients/{id}': { get: op([{ name: 'id', in: 'path' }]) },
    });
    expect(paths['/v1/clients/{path}']).toBeUndefined();
    expect(paths['/v1/clients/{id}'].get.parameters).toEqual([{ name: 'id', in: 'path' }]);
    // Prefixes of other services keep their placeholder, its path bounded as every request string is
    // (the document clients get while a service is down must still pass the API lint: npm-start.test)
    expect(paths['/v1/products/{path}']).toBeDefined();
    const placeholders = Object.entries(paths).filter(([path]) => path.endsWith('/{path}'));
    expect(placeholders.length).toBeGreaterThan(0);
    for (const [, item] of placeholders)
      expect(item.parameters).toEqual([
        { name: 'path', in: 'path', required: true, schema: { type: 'string', maxLength: 2048 } },
      ]);
  });

  it('leaves out operations the gateway does not route to that service', () => {
    const paths = merge('identity', {
      '/internal/v1/tenants/{id}/brand': { get: op([]) },
      '/v1/products': { get: op([]) }, // a catalog prefix: identity cannot claim it
    });
    expect(paths['/internal/v1/tenants/{id}/brand']).toBeUndefined();
    expect(paths['/v1/products']).toBeUndefined();
  });

  it('documents storefront operations under their public path, without the tenant the gateway fills in', () => {
    const paths = merge('catalog', {
      '/v1/storefront/{id}/products': {
        get: op([
          { name: 'id', in: 'path' },
          { name: 'currency', in: 'query' },
        ]),
      },
      '/v1/storefront/{id}/domains': { get: op([{ name: 'id', in: 'path' }]) },
    });
    expect(paths['/v1/storefront/{path}']).toBeUndefined();
    expect(paths['/v1/storefront/{id}/products']).toBeUndefined();
    expect(paths['/v1/storefront/products'].get.parameters).toEqual([{ name: 'currency', in: 'query' }]);
    expect(paths['/v1/storefront/domains'].get).not.toHaveProperty('parameters');
    // As the gateway answers it: the storefront is rate-limited, so the answer carries RateLimit-*.
    expect(paths['/v1/storefront/domains'].get.responses).toEqual({
      '200': {
        description: 'OK',
        headers: {
          'RateLimit-Limit': { $ref: '#/components/headers/RateLimit-Limit' },
          'RateLimit-Remaining': { $ref: '#/components/headers/RateLimit-Remaining' },
          'RateLimit-Reset': { $ref: '#/components/headers/RateLimit-Reset' },
          'Access-Control-Allow-Origin': { $ref: '#/components/headers/Access-Control-Allow-Origin' },
        },
      },
    });
  });

  it('yields a valid OpenAPI 3.1 document, placeholders and service operations alike', async () => {
    const routes = createRoutes();
    const Client = z.object({ id: z.uuid(), email: z.email(), createdAt: z.iso.datetime() });
    routes.get(
      '/v1/clients/:id',
      { roles: ['admin', 'reseller'] },
      { summary: 'A client', responses: { 200: Client } },
      () => undefined,
    );
    routes.post(
      '/v1/clients',
      { roles: ['admin', 'reseller'] },
      {
        body: z.object({ email: z.email() }),
        query: z.object({ dryRun: z.coerce.boolean().optional() }),
        responses: { 201: Client },
      },
      () => undefined,
    );
    routes.get(
      '/v1/storefront/:id/products',
      { public: true },
      { responses: { 200: z.object({ items: z.array(z.string()) }) } },
      () => undefined,
    );
    const doc = mergeServiceDocuments(
      buildOpenApiDocument(ROUTES),
      [
        {
          upstream: 'identity',
          doc: serviceOpenApi('identity', routes.list()),
        },
        {
          upstream: 'catalog',
          doc: serviceOpenApi('catalog', routes.list()),
        },
      ],
      (p) => matchRoute(p, ROUTES),
    );
    const result = await validate(structuredClone(doc) as never);
    expect(result.valid ? 'valid' : compileErrors(result)).toBe('valid');
    // And the check can fail: a path parameter the path does not have.
    const broken = structuredClone(doc) as { paths: Record<string, any> };
    broken.paths['/v1/clients/{id}'].get.parameters.push({
      name: 'nope',
      in: 'path',
      required: true,
      schema: {},
    });
    expect((await validate(broken as never)).valid).toBe(false);
  });
});
