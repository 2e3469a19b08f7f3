import { buildAsyncApiDocument } from '@geminis/contracts';
import { type GatewayRoute } from './route-table';

/**
 * The OpenAPI 3.1 document of the `/v1` surface as the gateway routes it: every prefix, which service
 * answers it, and whether it needs a bearer token. Each service's own operations (with the request bodies
 * and query parameters of the zod schemas it validates with, and the answers it declares) replace these
 * placeholders; see `mergeServiceDocuments`.
 */
export function buildOpenApiDocument(routes: readonly GatewayRoute[]): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const route of routes) {
    const operation = withGatewayAnswers(route, {
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
    });
    paths[route.prefix.endsWith('.json') ? route.prefix : `${route.prefix}/{path}`] = {
      ...(route.prefix.endsWith('.json')
        ? {}
        : // bounded like every request string (a placeholder stays when its service's document could not be
          // fetched: the document must still lint clean then)
          {
            parameters: [
              { name: 'path', in: 'path', required: true, schema: { type: 'string', maxLength: 2048 } },
            ],
          }),
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
      contact: { name: 'Geminis', url: 'https://github.com/geminis' },
    },
    // Public: the gateway is what API clients call (the services behind it are not reachable from outside).
    servers: [{ url: '/', 'x-internal': false }],
    tags: [...new Set(routes.map((r) => r.upstream))].map((name) => ({
      name,
      description: `Operations the ${name} service answers`,
    })),
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT (at+jwt, RS256)' },
        adminBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT (at+jwt, RS256)',
          description: 'An access token of a platform admin: operations only platform admins may call',
        },
      },
      headers: RATE_LIMIT_HEADER_COMPONENTS,
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'code', 'detail'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer', format: 'int32', minimum: 400, maximum: 599 },
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
type Operation = { parameters?: { name: string; in: string }[] } & Record<string, unknown>;

/**
 * A storefront operation as the public sees it: the service serves `/v1/storefront/{id}/products`, the
 * gateway answers `/v1/storefront/products` and fills the tenant in from the Host, so the tenant segment
 * and its path parameter are not part of the public operation.
 */
function publicStorefrontItem(prefix: string, path: string, item: Record<string, Operation>) {
  const rest = path.slice(prefix.length).split('/').filter(Boolean);
  const tenantParam = /^\{(.+)\}$/.exec(rest[0] ?? '')?.[1];
  if (!tenantParam) return undefined;
  const operations = Object.fromEntries(
    Object.entries(item).map(([method, op]) => {
      const parameters = (op.parameters ?? []).filter((p) => !(p.in === 'path' && p.name === tenantParam));
      const { parameters: _, ...rest } = op;
      return [method, parameters.length > 0 ? { ...rest, parameters } : rest];
    }),
  );
  return { path: [prefix, ...rest.slice(1)].join('/'), item: operations };
}

/**
 * The gateway's document with each service's own operations in place of the placeholder of the prefix
 * that routes to it. Operations the gateway does not route to that service (`/internal`, other
 * prefixes) are left out; storefront operations appear under their public, tenant-less paths.
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
      if (!route || route.upstream !== upstream) continue;
      if (route.storefront) {
        const visible = publicStorefrontItem(route.prefix, path, item as Record<string, Operation>);
        if (!visible) continue;
        delete paths[`${route.prefix}/{path}`];
        paths[visible.path] = gatewayItem(route, visible.item);
        continue;
      }
      delete paths[`${route.prefix}/{path}`];
      paths[path] = gatewayItem(route, item as Record<string, Operation>);
    }
  }
  return { ...base, paths };
}

const RATE_LIMIT_HEADER_COMPONENTS = {
  'RateLimit-Limit': {
    description: 'Requests allowed in the current window (the tightest limit that applies to the caller)',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 },
  },
  'RateLimit-Remaining': {
    description: 'Requests left in the current window',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1_000_000 },
  },
  'RateLimit-Reset': {
    description: 'Seconds until the window starts again',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 },
  },
  'Access-Control-Allow-Origin': {
    description:
      'Sent when the request comes from an allowed browser origin (the platform panel, a reseller domain)',
    schema: { type: 'string', maxLength: 2048 },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 86_400 },
  },
};
const header = (name: keyof typeof RATE_LIMIT_HEADER_COMPONENTS) => ({
  $ref: `#/components/headers/${name}`,
});

/**
 * An operation as the gateway answers it: on a rate-limited route every 2xx and 4xx answer carries the
 * RateLimit-* headers (set by the gateway, app.ts), a 429 and a 503 say Retry-After, and an operation
 * only platform admins may call names the admin bearer scheme.
 */
function withGatewayAnswers(route: GatewayRoute, op: Operation): Operation {
  const responses = { ...((op.responses ?? {}) as Record<string, Record<string, unknown>>) };
  for (const [status, answer] of Object.entries(responses)) {
    const headers: Record<string, unknown> = { ...((answer.headers ?? {}) as Record<string, unknown>) };
    if (route.limit !== 'none' && /^[24]/.test(status)) {
      headers['RateLimit-Limit'] = header('RateLimit-Limit');
      headers['RateLimit-Remaining'] = header('RateLimit-Remaining');
      headers['RateLimit-Reset'] = header('RateLimit-Reset');
    }
    if (status === '429' || status === '503') headers['Retry-After'] = header('Retry-After');
    headers['Access-Control-Allow-Origin'] = header('Access-Control-Allow-Origin');
    responses[status] = { ...answer, headers };
  }
  const adminOnly =
    route.access !== 'public' && (op.description === 'Roles: admin' || route.access.roles.join() === 'admin');
  return { ...op, responses, ...(adminOnly ? { security: [{ adminBearer: [] }] } : {}) };
}

const METHODS = new Set(['get', 'put', 'post', 'patch', 'delete', 'head', 'options']);
const gatewayItem = (route: GatewayRoute, item: Record<string, Operation>) =>
  Object.fromEntries(
    Object.entries(item).map(([key, value]) => [
      key,
      METHODS.has(key) ? withGatewayAnswers(route, value) : value,
    ]),
  );

const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The browsable API reference at /docs: Swagger UI (from the swagger-ui-dist package, served by the
 * gateway itself: no CDN, nothing inline, so the default Content-Security-Policy holds) reading the merged
 * /v1/openapi.json. Without JavaScript the page still lists every prefix.
 */
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
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="${DOCS_ASSETS}/favicon-32x32.png">
<link rel="stylesheet" href="${DOCS_ASSETS}/swagger-ui.css">
<link rel="stylesheet" href="${DOCS_ASSETS}/docs.css">
</head><body>
<header class="geminis"><strong>Geminis API</strong> · <a href="/v1/openapi.json">OpenAPI 3.1</a> · <a href="/v1/asyncapi.json">AsyncAPI 3.0</a> (${events} events) ·
authenticated operations take <code>Authorization: Bearer &lt;access token&gt;</code> from <code>POST /v1/auth/login</code>; errors are <code>application/problem+json</code>.</header>
<div id="api"></div>
<noscript><table><thead><tr><th>path</th><th>service</th><th>access</th><th>what</th></tr></thead><tbody>
${rows}
</tbody></table></noscript>
<script src="${DOCS_ASSETS}/swagger-ui-bundle.js"></script>
<script src="${DOCS_ASSETS}/docs.js"></script>
</body></html>`;
}

/** Where /docs loads its scripts and styles from. */
export const DOCS_ASSETS = '/docs/assets';

/** Our own two assets: Swagger UI's start (no inline script) and the header's style. */
export const DOCS_OWN_ASSETS: Record<string, { type: string; body: string }> = {
  'docs.js': {
    type: 'text/javascript',
    body: `window.ui = SwaggerUIBundle({
  url: '/v1/openapi.json',
  dom_id: '#api',
  deepLinking: true,
  validatorUrl: null,
  defaultModelsExpandDepth: 0,
  docExpansion: 'none',
  filter: true,
});
`,
  },
  'docs.css': {
    type: 'text/css',
    body: `body{margin:0}
.geminis{font:14px system-ui,sans-serif;padding:.8rem 1.2rem;background:#1b1f23;color:#eee}
.geminis a{color:#9cdcfe}.geminis code{font-size:13px}
noscript table{font:14px system-ui,sans-serif;margin:1rem}noscript td,noscript th{padding:.3rem .8rem;text-align:left}
`,
  },
};

/** The files of swagger-ui-dist /docs needs, and nothing else of the package. */
export const SWAGGER_UI_FILES = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'] as const;
