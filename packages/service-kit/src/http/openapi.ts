import { z } from 'zod';
import { MAX_PATH_PARAM_LENGTH } from './input-guard';
import { type RouteInfo } from './router';

type JsonSchema = Record<string, unknown>;

const STANDARD_FORMATS = new Set([
  'uuid',
  'date-time',
  'date',
  'time',
  'email',
  'uri',
  'ipv4',
  'ipv6',
  'duration',
]);

/** The longest string each format's validator accepts (a uuid is 36 characters, a date 10, …). */
const FORMAT_MAX_LENGTH: Record<string, number> = { uuid: 36, date: 10, ipv4: 15, ipv6: 45 };

/**
 * The JSON Schema of what a zod schema accepts (`input`: before defaults and transforms) or of what a
 * route sends (`output`), inline so it can be moved into another document as it is.
 */
function jsonSchemaOf(schema: z.ZodType, where: string, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _, ...json } = z.toJSONSchema(schema, {
    io,
    unrepresentable: 'any',
    cycles: 'throw',
    // A standard format (uuid, date-time, email, …) says it; zod's own regex for it repeated on every
    // field made the document several times larger without telling a reader anything.
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && STANDARD_FORMATS.has(jsonSchema.format)) {
        delete jsonSchema.pattern;
      }
      // A format whose validator admits only strings of a bounded length says that bound too.
      const bound = typeof jsonSchema.format === 'string' ? FORMAT_MAX_LENGTH[jsonSchema.format] : undefined;
      if (bound !== undefined && jsonSchema.type === 'string' && jsonSchema.maxLength === undefined)
        jsonSchema.maxLength = bound;
      // Every integer says its size, as API clients' code generators expect (OWASP/Spectral lint it).
      if (jsonSchema.type === 'integer' && jsonSchema.format === undefined) {
        const { minimum, maximum } = jsonSchema as { minimum?: number; maximum?: number };
        const int32 =
          typeof minimum === 'number' &&
          typeof maximum === 'number' &&
          minimum >= -2_147_483_648 &&
          maximum <= 2_147_483_647;
        jsonSchema.format = int32 ? 'int32' : 'int64';
      }
    },
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

const SUCCESS_DESCRIPTION: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No content',
};

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** The declared success answers, then the errors this kind of route can answer with. */
function responsesOf(route: RouteInfo, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, schema] of Object.entries(route.responses ?? {})) {
    out[status] =
      schema === null || schema === undefined
        ? { description: SUCCESS_DESCRIPTION[Number(status)] ?? 'Success' }
        : {
            description: SUCCESS_DESCRIPTION[Number(status)] ?? 'Success',
            content: { 'application/json': { schema: jsonSchemaOf(schema, where, 'output') } },
          };
  }
  if (route.body || route.query) out['400'] = problem('Invalid input: `errors` names every invalid field');
  if (route.access !== 'public') {
    out['401'] = problem('Missing, expired or invalid bearer token');
    out['403'] = problem('Authenticated, but this role may not call this operation');
  }
  if (route.path.includes(':')) out['404'] = problem('Nothing with this id in the tenant of the caller');
  out['429'] = problem('Too many requests from this caller: wait as Retry-After says');
  out['500'] = problem('An unexpected error (nothing about it is shown)');
  out['503'] = problem('Briefly unavailable (a dependency is down): try again after Retry-After');
  out.default = problem('Any other error, as application/problem+json');
  return out;
}

/**
 * A URL-safe, unique operationId: `catalog-post-v1-products-id-prices` for POST /v1/products/:id/prices
 * (letters, digits and dashes only; it used to carry the path's slashes and braces).
 */
export function operationIdOf(service: string, method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) =>
      segment
        .replace(/^:/, '')
        .replace(/[^A-Za-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, ''),
    )
    .filter(Boolean);
  return [service, method.toLowerCase(), ...words].join('-');
}

/**
 * A service's part of the API document, derived from the routes it actually serves (paths, methods, who
 * may call them, and the body and query schemas they validate with), so the document cannot drift from
 * the code. `/internal/*` routes are left out.
 */
export function serviceOpenApi(service: string, routes: RouteInfo[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    if (route.path.startsWith('/internal/') || route.access === 'service') continue;
    const where = `${route.method} ${route.path}`;
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const params = [
      ...[...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string', maxLength: MAX_PATH_PARAM_LENGTH },
      })),
      ...(route.query ? queryParameters(route.query, where) : []),
    ];
    const operationId = operationIdOf(service, route.method, route.path);
    if (operationIds.has(operationId)) throw new Error(`${where}: operationId ${operationId} is not unique`);
    operationIds.add(operationId);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId,
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
      responses: responsesOf(route, where),
    };
  }
  return { openapi: '3.1.0', info: { title: `Geminis ${service}`, version: '1.0.0' }, paths };
}
