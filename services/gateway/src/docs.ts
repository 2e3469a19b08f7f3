import { buildAsyncApiDocument } from '@geminis/contracts';
import { type GatewayRoute } from './route-table';

/**
 * The OpenAPI 3.1 document of the `/v1` surface as the gateway routes it: every prefix, which service
 * answers it, and whether it needs a bearer token. Each service's own operations (with the request bodies
 * and query parameters of the zod schemas it validates with) replace these placeholders; see
 * `mergeServiceDocuments`. (Response schemas are not documented yet.)
 */
export function buildOpenApiDocument(routes: readonly GatewayRoute[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const route of routes) {
    const operation = {
      summary: route.summary,
      tags: [route.upstream],
      ...(route.access === 'public'
        ? { security: [] }
        : { security: [{ bearer: [] }], description: `Roles: ${route.access.roles.join(', ')}` }),
      responses: {
        default: {
          description: 'Answer of the upstream service, or a problem+json error',
          content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
        },
      },
    };
    paths[route.prefix.endsWith('.json') ? route.prefix : `${route.prefix}/{path}`] = {
      ...(route.prefix.endsWith('.json')
        ? {}
        : { parameters: [{ name: 'path', in: 'path', required: true, schema: { type: 'string' } }] }),
      get: operation,
      ...(route.prefix.endsWith('.json')
        ? {}
        : { post: operation, put: operation, patch: operation, delete: operation }),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Geminis API',
      version: '1.0.0',
      description: 'Everything under /v1 goes through the gateway.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (at+jwt, RS256)' } },
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            code: { type: 'string' },
            detail: { type: 'string' },
            requestId: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                properties: { field: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  };
}

/**
 * The gateway's document with each service's own operations merged in: every path a service serves that
 * the route table exposes replaces the prefix placeholder, so the document lists real operations.
 */
export function mergeServiceDocuments(
  base: Record<string, unknown>,
  services: { upstream: string; doc: { paths?: Record<string, unknown> } }[],
  match: (path: string) => GatewayRoute | undefined,
): Record<string, unknown> {
  const paths = { ...(base.paths as Record<string, unknown>) };
  for (const { upstream, doc } of services) {
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      const concrete = path.replace(/\{[^}]+\}/g, 'x');
      const route = match(concrete);
      if (!route || route.upstream !== upstream || route.storefront) continue;
      delete paths[`${route.prefix}/{path}`];
      paths[path] = item;
    }
  }
  return { ...base, paths };
}

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** A self-contained page (no external scripts) listing the API and linking the machine-readable documents. */
export function renderDocsPage(routes: readonly GatewayRoute[]): string {
  const rows = routes
    .map(
      (r) =>
        `<tr><td><code>${escape(r.prefix)}</code></td><td>${escape(r.upstream)}</td><td>${
          r.access === 'public' ? 'public' : escape(r.access.roles.join(', '))
        }</td><td>${escape(r.summary)}</td></tr>`,
    )
    .join('\n');
  const events = Object.keys((buildAsyncApiDocument().channels as Record<string, unknown>) ?? {}).length;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Geminis API</title>
<style>body{font:15px system-ui,sans-serif;margin:2rem;max-width:70rem}td,th{padding:.3rem .8rem;text-align:left;border-bottom:1px solid #ddd}code{font-size:14px}</style>
</head><body><h1>Geminis API</h1>
<p>Machine-readable: <a href="/v1/openapi.json">OpenAPI 3.1</a> · <a href="/v1/asyncapi.json">AsyncAPI 3.0</a> (${events} events).
Authenticated routes take <code>Authorization: Bearer &lt;access token&gt;</code> from <code>POST /v1/auth/login</code>. Errors are <code>application/problem+json</code>.</p>
<table><thead><tr><th>path</th><th>service</th><th>access</th><th>what</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
}
