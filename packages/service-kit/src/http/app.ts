import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { ForbiddenError, UnauthenticatedError, UnavailableError, UnsupportedMediaTypeError } from '../errors';
import { newId } from '../ids';
import { type Logger } from '../logger';
import { type TokenVerifier } from '../auth/verifier';
import { notFoundHandler, problemMiddleware, sendProblem } from './problem';
import { setAuth, type RouteDefinition, type Routes } from './router';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  /** Required when any route is authenticated. */
  verifier?: TokenVerifier;
  routes: Routes[];
  /** Readiness checks (database, bus, …) run by /readyz, each with a timeout. */
  readiness?: Record<string, () => Promise<void>>;
  bodyLimit?: string;
  /** Paths (exact, or prefixes ending in `*`) whose bodies reach handlers as raw Buffers. */
  rawBodyPaths?: string[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const READY_TIMEOUT_MS = 2_000;

function matchesAny(path: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

export function bearerToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, token] = header.split(' ');
  return scheme?.toLowerCase() === 'bearer' && token ? token : undefined;
}

function authenticate(verifier: TokenVerifier | undefined, route: RouteDefinition) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    if ('public' in route.access) return next();
    if (!verifier) throw new Error(`route ${route.path} is authenticated but the app has no verifier`);
    const token = bearerToken(req);
    if (!token) throw new UnauthenticatedError('auth.missing_token', 'a bearer access token is required');
    const auth = await verifier.verify(token);
    if (!route.access.roles.includes(auth.role)) {
      throw new ForbiddenError('auth.forbidden', `this operation is not allowed for role ${auth.role}`);
    }
    setAuth(req, auth);
    next();
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Builds a service's express app (without listening): tests use it as it is. */
export function createHttpApp(options: HttpAppOptions): Express {
  const { logger } = options;
  const bodyLimit = options.bodyLimit ?? '1mb';
  const rawPaths = options.rawBodyPaths ?? [];
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');

  app.use((req, res, next) => {
    const inbound = req.headers['x-request-id'];
    const id = typeof inbound === 'string' && REQUEST_ID.test(inbound) ? inbound : newId();
    res.setHeader('x-request-id', id);
    next();
  });
  app.use(
    pinoHttp({
      logger,
      genReqId: (_req, res) => res.getHeader('x-request-id') as string,
      customProps: () => ({ service: options.service }),
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(helmet());

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  app.get('/readyz', async (_req, res) => {
    const checks = Object.entries(options.readiness ?? {});
    const results = await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          await withTimeout(check(), READY_TIMEOUT_MS, name);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, err instanceof Error ? err.message : String(err)] as const;
        }
      }),
    );
    const failing = results.filter(([, status]) => status !== 'ok');
    if (failing.length === 0) {
      res.json({ status: 'ready', checks: Object.fromEntries(results) });
      return;
    }
    sendProblem(
      res,
      new UnavailableError(
        'service.not_ready',
        `not ready: ${failing.map(([n, s]) => `${n} (${s})`).join(', ')}`,
        {
          retryAfterSeconds: 5,
        },
      ),
      res.getHeader('x-request-id') as string,
    );
  });

  if (rawPaths.length > 0) {
    const raw = express.raw({ type: () => true, limit: bodyLimit });
    app.use((req, res, next) => (matchesAny(req.path, rawPaths) ? raw(req, res, next) : next()));
  }
  const json = express.json({
    limit: bodyLimit,
    strict: true,
    type: ['application/json', 'application/*+json'],
  });
  app.use((req, res, next) => {
    if (matchesAny(req.path, rawPaths)) return next();
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is(['application/json', 'application/*+json'])) {
      return next(
        new UnsupportedMediaTypeError('request.unsupported_media_type', 'send the body as application/json'),
      );
    }
    json(req, res, next);
  });

  for (const routes of options.routes) {
    for (const route of routes.definitions()) {
      app[route.method](route.path, authenticate(options.verifier, route), route.handler);
    }
  }

  app.use(notFoundHandler);
  app.use(problemMiddleware(logger));
  return app;
}
