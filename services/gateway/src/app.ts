import { type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { buildAsyncApiDocument } from '@geminis/contracts';
import {
  accessLine,
  bearerToken,
  ForbiddenError,
  headersSetBy,
  requestIdFor,
  notFoundHandler,
  problemMiddleware,
  sendProblem,
  UnauthenticatedError,
  UnavailableError,
  type Logger,
  type TokenVerifier,
} from '@geminis/service-kit';
import cors from 'cors';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import {
  buildOpenApiDocument,
  DOCS_ASSETS,
  DOCS_OWN_ASSETS,
  mergeServiceDocuments,
  renderDocsPage,
  SWAGGER_UI_FILES,
} from './docs';
import { type ClientOf, type Upstream } from './proxy';
import { RateLimitExceededError, rateLimitHeaders, type ApiCaller, type RateLimits } from './rate-limit';
import { type RevocationList } from './revocations';
import { matchRoute, ROUTES, type GatewayRoute, type UpstreamName } from './route-table';
import { normaliseHost, type TenantResolver } from './tenant-resolver';

export interface GatewayDeps {
  logger: Logger;
  verifier: TokenVerifier;
  upstreams: Partial<Record<UpstreamName, Upstream>>;
  resolver: TenantResolver;
  limits: RateLimits;
  corsOrigins: string[];
  routes?: readonly GatewayRoute[];
  /** Tokens of suspended users and resellers, refused before their expiry. */
  revocations?: RevocationList;
  /**
   * Addresses (or CIDR ranges, or `loopback`) of the proxies in front of the gateway whose
   * X-Forwarded-For is believed. Empty: none — the client is the socket's peer, and a client-sent
   * X-Forwarded-For changes no rate-limit key.
   */
  trustedProxies?: string[];
}

/**
 * The front door. Nothing is parsed or buffered on proxied routes: the request streams to the upstream
 * chosen by the route table after the token (if the route needs one) is verified and the role allowed.
 * The services verify the token again: the gateway forwards it, never identity headers of its own.
 */
export function createGatewayApp(deps: GatewayDeps): Express {
  const routes = deps.routes ?? ROUTES;
  const app = express();
  app.disable('x-powered-by');
  const trusted = deps.trustedProxies ?? [];
  app.set('trust proxy', trusted.length > 0 ? trusted : false);
  const security = helmet();
  const allowed = new Set(deps.corsOrigins);
  const corsHeaders = cors({
    credentials: true,
    exposedHeaders: ['x-request-id', 'retry-after'],
    origin: (origin, callback) => {
      if (!origin || allowed.has(origin)) return callback(null, true);
      let host: string;
      try {
        host = new URL(origin).hostname;
      } catch {
        return callback(null, false);
      }
      deps.resolver.isKnownHost(host).then(
        (ok) => callback(null, ok),
        () => callback(null, false),
      );
    },
  });
  // What helmet and cors add to the answer of a request without an Origin header: the same every time.
  const fixedHeaders = headersSetBy([security, corsHeaders]);
  const logging = deps.logger.isLevelEnabled('info');
  // Written straight to the log's destination (accessLine): pino's generic path was a fifth of the hop.
  const access = accessLine(deps.logger, 'request');

  // One access line per request at the end, without a child logger per request: the gateway's hot path.
  const logAccess = (req: IncomingMessage, res: ServerResponse, requestId: string, path: string) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      access.info({
        requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
  };

  // The proxied routes first, in one step: a request without Origin (no CORS answer to negotiate) to a
  // route of the table gets the request id, the access line, helmet's and cors' headers (computed once,
  // above, by the middlewares themselves) sent with the upstream's answer in one writeHead, the token and
  // role checks, the rate limit, and the stream to its upstream — without a dozen header-setting
  // middlewares per request. A failure sets the same headers and goes to the problem middleware. Everything
  // else (CORS requests, preflights, health, documents) takes the middlewares below.
  /** Before a failed proxied request goes to the problem middleware: the headers it would have had. */
  const failed = (res: ServerResponse, requestId: string) => {
    if (res.headersSent) return;
    for (const name in fixedHeaders) res.setHeader(name, fixedHeaders[name]!);
    res.setHeader('x-request-id', requestId);
  };
  app.use((req: Request, res: Response, next: NextFunction) => {
    const pending = (req as Pending)[FAILED];
    if (pending) return next(pending.err); // failed on the path below express (app.handle)
    const requestId = requestIdFor(req);
    const route =
      req.headers.origin === undefined && req.method !== 'OPTIONS' ? matchRoute(req.path, routes) : undefined;
    if (!route) {
      res.setHeader('x-request-id', requestId);
      return next();
    }
    if (logging) logAccess(req, res, requestId, req.path);
    const client = { ip: req.ip ?? 'unknown', protocol: req.protocol };
    proxy(req, res, route, requestId, { ...fixedHeaders, 'x-request-id': requestId }, client).catch(
      (err: unknown) => {
        failed(res, requestId);
        next(err);
      },
    );
  });
  app.use((req, res, next) => {
    if (logging && req.path !== '/healthz' && req.path !== '/readyz')
      logAccess(req, res, res.getHeader('x-request-id') as string, req.path);
    next();
  });
  app.use(security);
  app.use(corsHeaders);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/readyz', async (_req, res) => {
    const results = await Promise.all(
      Object.values(deps.upstreams).map(async (u) => {
        try {
          await u.ready();
          return [u.name, 'ok'] as const;
        } catch (err) {
          return [u.name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    if (deps.revocations && !deps.revocations.ready) {
      // A replica that does not yet know whose tokens identity revoked must not take traffic.
      results.push(['revocations', 'not yet loaded from identity']);
    }
    const failing = results.filter(([, s]) => s !== 'ok');
    if (failing.length === 0) {
      res.json({ status: 'ready', upstreams: Object.fromEntries(results) });
      return;
    }
    sendProblem(
      res,
      new UnavailableError(
        'gateway.not_ready',
        `not ready: ${failing.map(([n, s]) => `${n} (${s})`).join(', ')}`,
        {
          retryAfterSeconds: 5,
        },
      ),
      res.getHeader('x-request-id') as string,
    );
  });
  const openapi = buildOpenApiDocument(routes);
  const asyncapi = buildAsyncApiDocument();
  const docsPage = renderDocsPage(routes);
  // Cached for 30 s once every service contributed its part; while one is down, its prefixes keep their
  // placeholders and the next request asks again.
  let merged: { doc: Record<string, unknown>; at: number } | undefined;
  app.get('/v1/openapi.json', async (_req, res) => {
    if (!merged || Date.now() - merged.at > 30_000) {
      let complete = true;
      const parts = await Promise.all(
        Object.entries(deps.upstreams).map(async ([upstream, u]) => ({
          upstream,
          doc: await u.openapi().catch(() => {
            complete = false;
            return {};
          }),
        })),
      );
      const doc = mergeServiceDocuments(openapi, parts, (p) => matchRoute(p, routes));
      merged = complete ? { doc, at: Date.now() } : undefined;
      res.json(doc);
      return;
    }
    res.json(merged.doc);
  });
  app.get('/v1/asyncapi.json', (_req, res) => {
    res.json(asyncapi);
  });
  app.get('/docs', (_req, res) => {
    res.type('html').send(docsPage);
  });
  const swaggerUiDir = dirname(require.resolve('swagger-ui-dist/package.json'));
  app.get(`${DOCS_ASSETS}/:file`, (req, res, next) => {
    const file = req.params.file;
    const own = DOCS_OWN_ASSETS[file];
    if (own) {
      res.type(own.type).set('cache-control', 'public, max-age=300').send(own.body);
      return;
    }
    if (!(SWAGGER_UI_FILES as readonly string[]).includes(file)) return next();
    res.sendFile(join(swaggerUiDir, file), { maxAge: '1d' }, (err) => (err ? next(err) : undefined));
  });

  // A route of the table asked with an Origin header: the same proxying, after cors answered the origin.
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const route = matchRoute(req.path, routes);
    if (!route) return next();
    const client = { ip: req.ip ?? 'unknown', protocol: req.protocol };
    await proxy(req, res, route, res.getHeader('x-request-id') as string, {}, client);
  });

  /** Checks the caller (token, revocation, role), counts it against its limit, and forwards. */
  async function proxy(
    req: IncomingMessage,
    res: ServerResponse,
    route: GatewayRoute,
    requestId: string,
    headers: Record<string, string>,
    client: ClientOf,
  ): Promise<void> {
    const ip = client.ip;
    let caller: ApiCaller = { kind: 'anonymous', ip };
    if (route.access !== 'public') {
      const token = bearerToken(req);
      if (!token) throw new UnauthenticatedError('auth.missing_token', 'a bearer access token is required');
      const auth = await deps.verifier.verify(token);
      if (deps.revocations?.isRevoked(auth)) {
        throw new UnauthenticatedError('auth.revoked', 'this access token was revoked; sign in again');
      }
      if (!route.access.roles.includes(auth.role)) {
        throw new ForbiddenError('auth.forbidden', `this operation is not allowed for role ${auth.role}`);
      }
      caller = { kind: 'user', userId: auth.userId, tenantId: auth.tenantId, role: auth.role };
    }
    if (route.limit !== 'none') {
      try {
        const state = await (route.limit === 'auth' ? deps.limits.auth(ip) : deps.limits.api(caller));
        Object.assign(headers, rateLimitHeaders(state));
      } catch (err) {
        if (err instanceof RateLimitExceededError) {
          const limited = rateLimitHeaders(err.state);
          for (const name in limited) res.setHeader(name, limited[name]!);
        }
        throw err;
      }
    }

    const upstream = deps.upstreams[route.upstream];
    if (!upstream) {
      throw new UnavailableError('upstream.not_deployed', `the ${route.upstream} service is not deployed`, {
        retryAfterSeconds: 60,
      });
    }
    const url = req.url ?? '/'; // the whole target: no router mounts anything under a prefix here
    let path = url;
    if (route.storefront) {
      const tenant = await deps.resolver.resolve(normaliseHost(req.headers.host));
      path = `${route.prefix}/${tenant.tenantId}${url.slice(route.prefix.length)}`;
    }
    await upstream.forward(req, res, path, requestId, headers, client);
  }

  // Below express, for the common case — no trusted proxy in front (the client is the socket's peer), a
  // path-only target, no Origin: the proxied routes skip express's request/response set-up and router too.
  // A failure goes through express after all (marked on the request, answered by the problem middleware).
  if (trusted.length === 0) {
    type Handle = (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;
    const withHandle = app as unknown as { handle: Handle };
    const handle = withHandle.handle.bind(app);
    withHandle.handle = (req, res, next) => {
      const url = req.url ?? '';
      if (req.headers.origin !== undefined || req.method === 'OPTIONS' || url.charCodeAt(0) !== 47 /* / */)
        return handle(req, res, next);
      const query = url.indexOf('?');
      const path = query === -1 ? url : url.slice(0, query);
      const route = matchRoute(path, routes);
      if (!route) return handle(req, res, next);
      const requestId = requestIdFor(req);
      if (logging) logAccess(req, res, requestId, path);
      const client = {
        ip: req.socket.remoteAddress ?? 'unknown',
        protocol: (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http',
      };
      proxy(req, res, route, requestId, { ...fixedHeaders, 'x-request-id': requestId }, client).catch(
        (err: unknown) => {
          failed(res, requestId);
          (req as Pending)[FAILED] = { err };
          handle(req, res, next);
        },
      );
    };
  }

  app.use(notFoundHandler);
  app.use(problemMiddleware(deps.logger));
  return app;
}

const FAILED = Symbol('gateway.failed');
type Pending = IncomingMessage & { [FAILED]?: { err: unknown } };
