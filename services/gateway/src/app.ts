import { dirname, join } from 'node:path';
import { buildAsyncApiDocument } from '@geminis/contracts';
import {
  bearerToken,
  ForbiddenError,
  requestId,
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
import { type Upstream } from './proxy';
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
  app.use(requestId);
  // One access line per request at the end, without a child logger per request: the gateway's hot path.
  app.use((req, res, next) => {
    if (!deps.logger.isLevelEnabled('info') || req.path === '/healthz' || req.path === '/readyz')
      return next();
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      deps.logger.info(
        {
          requestId: res.getHeader('x-request-id'),
          method: req.method,
          path: req.path,
          status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        },
        'request',
      );
    });
    next();
  });
  app.use(helmet());
  const allowed = new Set(deps.corsOrigins);
  app.use(
    cors({
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
    }),
  );

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

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    const route = matchRoute(req.path, routes);
    if (!route) return next();
    const requestId = res.getHeader('x-request-id') as string;
    const ip = req.ip ?? 'unknown';
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
        res.set(rateLimitHeaders(state));
      } catch (err) {
        if (err instanceof RateLimitExceededError) res.set(rateLimitHeaders(err.state));
        throw err;
      }
    }

    const upstream = deps.upstreams[route.upstream];
    if (!upstream) {
      throw new UnavailableError('upstream.not_deployed', `the ${route.upstream} service is not deployed`, {
        retryAfterSeconds: 60,
      });
    }
    let path = req.originalUrl;
    if (route.storefront) {
      const tenant = await deps.resolver.resolve(normaliseHost(req.headers.host));
      path = `${route.prefix}/${tenant.tenantId}${req.originalUrl.slice(route.prefix.length)}`;
    }
    await upstream.forward(req, res, path, requestId);
  });

  app.use(notFoundHandler);
  app.use(problemMiddleware(deps.logger));
  return app;
}
