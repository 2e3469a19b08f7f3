import { z } from 'zod';
import { type RouteInfo } from './router';

type JsonSchema = Record<string, unknown>;

/**
 * The JSON Schema of what a zod schema accepts (its input side: before defaults and transforms), inline
 * so it can be moved into another document as it is.
 */
function jsonSchemaOf(schema: z.ZodType, where: string): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    cycles: 'throw',
  });
  if ('$defs' in json)
    throw new Error(`${where}: the schema must convert inline (it has schemas with an id)`);
  return json;
}

/** One `in: query` parameter per property of the query object. */
function queryParameters(query: z.ZodObject, where: string) {
  const json = jsonSchemaOf(query, where);
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries((json.properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema,
  }));
}

/**
 * A service's part of the API document, derived from the routes it actually serves (paths, methods, who
 * may call them, and the body and query schemas they validate with), so the document cannot drift from
 * the code. `/internal/*` routes are left out.
 */
export function serviceOpenApi(service: string, routes: RouteInfo[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.path.startsWith('/internal/') || route.access === 'service') continue;
    const where = `${route.method} ${route.path}`;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = [
      ...[...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      })),
      ...(route.query ? queryParameters(route.query, where) : []),
    ];
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: `${service}.${route.method.toLowerCase()}.${path}`,
      ...(route.summary ? { summary: route.summary } : {}),
      tags: [service],
      ...(params.length ? { parameters: params } : {}),
      ...(route.body
        ? {
            requestBody: {
              // An absent body is validated as {}: it may be left out when the schema accepts that.
              required: !route.body.safeParse({}).success,
              content: { 'application/json': { schema: jsonSchemaOf(route.body, where) } },
            },
          }
        : {}),
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
