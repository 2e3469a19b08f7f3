import { type RouteInfo } from './router';

/**
 * A service's part of the API document, derived from the routes it actually serves (paths, methods and
 * who may call them), so the document cannot drift from the code. `/internal/*` routes are left out.
 */
export function serviceOpenApi(service: string, routes: RouteInfo[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.path.startsWith('/internal/')) continue;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: `${service}.${route.method.toLowerCase()}.${path}`,
      tags: [service],
      ...(params.length ? { parameters: params } : {}),
      ...(route.access === 'public'
        ? { security: [] }
        : { security: [{ bearer: [] }], description: `Roles: ${route.access.roles.join(', ')}` }),
      responses: {
        default: {
          description: 'JSON answer, or an application/problem+json error',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    };
  }
  return { openapi: '3.1.0', info: { title: `Geminis ${service}`, version: '1.0.0' }, paths };
}
