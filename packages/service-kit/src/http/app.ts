import { createHash, timingSafeEqual } from 'node:crypto';
import { type IncomingMessage } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { z } from 'zod';
import type {} from 'pino-http'; // its type of `req.log`, which startAccessLog provides
import { type TokenVerifier } from '../auth/verifier';
import { ForbiddenError, UnauthenticatedError, UnavailableError, UnsupportedMediaTypeError } from '../errors';
import { newId } from '../ids';
import { accessLine, type Logger } from '../logger';
import { currentTraceId } from '../telemetry/context';
import { serviceOpenApi } from './openapi';
import { inputGuard } from './input-guard';
import { notFoundHandler, problemMiddleware, sendProblem } from './problem';
import { authIfAny, setAuth, type RouteDefinition, type Routes } from './router';

export interface HttpAppOptions {
  service: string;
  logger: Logger;
  /** Required when any route is authenticated (checked when the app is built). */
  verifier?: TokenVerifier;
  routes: Routes[];
  /** The shared key our own services present on `{ service: true }` routes (required when there are any). */
  serviceKey?: string;
  /**
   * Check every JSON success answer against the route's declared `responses` (a mismatch or an undeclared
   * field is a 500 naming the route). For tests: it costs a serialise + parse per answer.
   */
  checkResponses?: boolean;
  /** Readiness checks (database, bus, …) run by /readyz, each with a timeout. */
  readiness?: Record<string, () => Promise<void>>;
  /**
   * Dependencies the service works without for a while (the bus: the outbox keeps events, the consumer
   * waits): /readyz reports them failing under `degraded` but stays 200, so an outage of the broker never
   * takes a working API out of service.
   */
  degradedWithout?: Record<string, () => Promise<void>>;
  /** Per readiness check. Default 2000 ms. */
  readinessTimeoutMs?: number;
  /** Largest accepted body (JSON and raw). Default '1mb'. */
  bodyLimit?: string;
  /** Paths (exact, or prefixes ending in `*`) whose bodies reach handlers as raw Buffers (webhooks). */
  rawBodyPaths?: string[];
  /**
   * Peers whose X-Forwarded-For names the client (express `trust proxy`: addresses, CIDR ranges or
   * `loopback`, `linklocal`, `uniquelocal`). Default: loopback and private networks — the gateway, which
   * overwrites X-Forwarded-For with the client it resolved, is the only caller a service's network policy
   * lets in. Identity throttles sign-ins per client address, so the gateway's own address must not be it.
   */
  trustProxy?: string[];
}

export const DEFAULT_TRUSTED_PROXIES = ['loopback', 'linklocal', 'uniquelocal'];

/** An inbound x-request-id is kept only when it is short and plain; otherwise a UUIDv7 is generated. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's own `x-request-id` when it is short and plain, otherwise a new UUIDv7. */
export function requestIdFor(req: IncomingMessage): string {
  const inbound = req.headers['x-request-id'];
  return typeof inbound === 'string' && REQUEST_ID.test(inbound) ? inbound : newId();
}

/** Accepts a sane inbound `x-request-id` or makes one, and echoes it on the response. */
export function requestId(req: Request, res: Response, next: NextFunction): void {
  res.setHeader('x-request-id', requestIdFor(req));
  next();
}
const JSON_TYPES = ['application/json', 'application/*+json'];

function matchesAny(path: string, patterns: string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

export const requestIdOf = (res: Response): string | undefined => {
  const id = res.getHeader('x-request-id');
  return typeof id === 'string' ? id : undefined;
};

/** The token of an `Authorization: Bearer <token>` header, if there is exactly one. */
export function bearerToken(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i.exec(header);
  return match?.[1];
}

const LOG = Symbol('geminis.log');
interface LogState {
  logger: Logger;
  requestId: string;
  traceId: string | undefined;
  /** The child logger, once something asked for `req.log`. */
  child?: Logger;
  extra?: Record<string, unknown>;
}
type WithLog = Request & { [LOG]?: LogState };

/** `req.log` is made again on next use, with the caller's tenant and user (after authentication). */
function rebindLog(req: Request, extra?: Record<string, unknown>): void {
  const state = (req as WithLog)[LOG];
  if (!state) return;
  state.child = undefined;
  if (extra) state.extra = { ...state.extra, ...extra };
}

const logDescriptor: PropertyDescriptor = {
  configurable: true,
  get(this: WithLog): Logger {
    const state = this[LOG]!;
    if (!state.child) {
      const auth = authIfAny(this);
      state.child = state.logger.child({
        requestId: state.requestId,
        ...(state.traceId ? { traceId: state.traceId } : {}),
        ...(auth ? { tenantId: auth.tenantId, userId: auth.userId } : {}),
        ...state.extra,
      });
    }
    return state.child;
  },
  set(this: WithLog, value: Logger) {
    this[LOG]!.child = value;
  },
};

/**
 * The access log: one line when the answer is finished (or the connection closed before), `info`, or
 * `warn` for a 5xx — with the request id, trace id, the caller's tenant and user, method, URL, status and
 * time; and `req.log`, the request's child logger with the same ids, made only when something logs
 * through it (most requests never do: a child logger per request, made eagerly, and the request and
 * response headers serialised into every line were most of a service's CPU per request outside its own
 * work). No headers in the line: nothing to redact, nothing to leak.
 */
function startAccessLog(
  logger: Logger,
  access: ReturnType<typeof accessLine>,
  req: Request,
  res: Response,
  requestId: string,
): void {
  const state: LogState = { logger, requestId, traceId: currentTraceId() };
  (req as WithLog)[LOG] = state;
  Object.defineProperty(req, 'log', logDescriptor);
  if (req.url === '/healthz' || req.url === '/readyz') return;
  const started = process.hrtime.bigint();
  const done = () => {
    res.off('finish', done);
    res.off('close', done);
    const status = res.statusCode;
    const auth = authIfAny(req);
    const line = {
      requestId,
      traceId: state.traceId,
      tenantId: auth?.tenantId,
      userId: auth?.userId,
      method: req.method,
      url: req.originalUrl,
      status,
      aborted: res.writableFinished ? undefined : true,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
    };
    if (status >= 500) access.warn(line);
    else access.info(line);
  };
  res.on('finish', done);
  res.on('close', done);
}

/**
 * The headers `middlewares` set on the answer to a plain GET, found once by running them against a
 * stand-in request and response (helmet's are the same for every answer). Throws if one of them does not
 * finish synchronously or does anything but set and remove headers: such a middleware must stay a
 * middleware.
 */
export function headersSetBy(
  middlewares: ((req: Request, res: Response, next: (err?: unknown) => void) => void)[],
): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    getHeader: (name: string) => headers[name.toLowerCase()],
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  } as unknown as Response;
  const req = { method: 'GET', url: '/', headers: {} } as Request;
  for (const middleware of middlewares) {
    let done = false;
    middleware(req, res, (err) => {
      if (err) throw err instanceof Error ? err : new Error('a header middleware failed');
      done = true;
    });
    if (!done) throw new Error('a header middleware did not finish synchronously');
  }
  return headers;
}

/**
 * What every request gets first, in one step: its request id (echoed), helmet's headers (computed once:
 * a dozen middlewares, each an express hop, set the same headers on every answer), and the access log.
 */
function front(logger: Logger) {
  const security = headersSetBy([helmet()]);
  // Its fields are the request's ids, the caller, method, URL, status and time: nothing to redact.
  const access = accessLine(logger, 'request completed');
  const names = Object.keys(security);
  return (req: Request, res: Response, next: NextFunction): void => {
    const id = requestIdFor(req);
    res.setHeader('x-request-id', id);
    for (const name of names) res.setHeader(name, security[name]!);
    startAccessLog(logger, access, req, res, id);
    next();
  };
}

function authenticate(verifier: TokenVerifier, route: RouteDefinition) {
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    if (!('roles' in route.access)) return next();
    const token = bearerToken(req);
    if (!token) throw new UnauthenticatedError('auth.missing_token', 'a bearer access token is required');
    const auth = await verifier.verify(token);
    setAuth(req, auth);
    rebindLog(req);
    if (!route.access.roles.includes(auth.role)) {
      throw new ForbiddenError('auth.forbidden', `this operation is not allowed for role ${auth.role}`);
    }
    next();
  };
}

/** The header our services present their shared key in (the gateway strips `x-geminis-*` from clients). */
export const SERVICE_KEY_HEADER = 'x-geminis-service-key';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `{ service: true }` routes: the shared service key, compared in constant time; a user's token is not enough. */
function authenticateService(serviceKey: string) {
  const expected = digest(serviceKey);
  return (req: Request, _res: Response, next: NextFunction): void => {
    const presented = req.headers[SERVICE_KEY_HEADER];
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), expected)) {
      throw new UnauthenticatedError('auth.service_key', 'this route is for Geminis services only');
    }
    rebindLog(req, { caller: 'service' });
    next();
  };
}

/**
 * Wraps `res.json` so that a success answer must match the route's declared schema for its status, field
 * for field: what the OpenAPI document promises is what the route sends. Errors (4xx/5xx) are not checked.
 */
function responseCheck(route: RouteDefinition) {
  const where = `${route.method.toUpperCase()} ${route.path}`;
  const declared = route.spec.responses ?? {};
  return (_req: Request, res: Response, next: NextFunction): void => {
    const send = res.json.bind(res);
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let json = false;
    // A success answered without JSON (`res.status(204).end()`, `sendStatus(200)`) must be declared
    // bodiless (`204: null`) too: otherwise the document promises a body the client never gets.
    res.end = ((...args: unknown[]) => {
      const status = res.statusCode;
      if (!json && status >= 200 && status < 300 && declared[status as keyof typeof declared] !== null) {
        throw new Error(`${where} answered ${status} without a JSON body, which it does not declare`);
      }
      return end(...args);
    }) as Response['end'];
    res.json = (body: unknown) => {
      json = true;
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        const schema = declared[status as keyof typeof declared];
        if (!schema) throw new Error(`${where} answered ${status} with a body, which it does not declare`);
        const wire = JSON.parse(JSON.stringify(body)) as unknown;
        const parsed = schema.safeParse(wire);
        if (!parsed.success) {
          throw new Error(
            `${where} ${status}: the answer does not match its schema\n${z.prettifyError(parsed.error)}`,
          );
        }
        if (!isDeepStrictEqual(parsed.data, wire)) {
          throw new Error(
            `${where} ${status}: the answer has fields its schema does not declare\n` +
              `sent:     ${JSON.stringify(wire)}\ndeclared: ${JSON.stringify(parsed.data)}`,
          );
        }
      }
      return send(body);
    };
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

/**
 * Builds a service's express app without listening (tests use it as it is): helmet, request ids, an access
 * log with a child logger per request, JSON bodies (raw on webhook paths), /healthz and /readyz, the
 * declared routes behind their access rule, then the not-found handler and the one problem middleware.
 */
export function createHttpApp(options: HttpAppOptions): Express {
  const { logger, verifier } = options;
  const bodyLimit = options.bodyLimit ?? '1mb';
  const rawPaths = options.rawBodyPaths ?? [];
  const readyTimeoutMs = options.readinessTimeoutMs ?? 2_000;
  const definitions = options.routes.flatMap((r) => r.definitions());

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? DEFAULT_TRUSTED_PROXIES);
  // The gateway's route table matches paths case-sensitively; the services must agree, or a path spelt
  // `/V1/Users` would pass the gateway under one rule and reach a service route guarded by another.
  app.set('case sensitive routing', true);

  app.use(front(logger));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  // Built on the first request, not at start: converting every route's schemas was the largest single
  // cost of a warm `npm start` (~2 s under load), for a document only the gateway's /docs ever asks for.
  let openapi: ReturnType<typeof serviceOpenApi> | undefined;
  app.get('/openapi.json', (_req, res) => {
    openapi ??= serviceOpenApi(
      options.service,
      options.routes.flatMap((r) => r.list()),
    );
    res.json(openapi);
  });
  app.get('/readyz', async (req, res) => {
    const checks = Object.entries(options.readiness ?? {});
    const failing: string[] = [];
    await Promise.all(
      checks.map(async ([name, check]) => {
        try {
          await withTimeout(check(), readyTimeoutMs, name);
        } catch (err) {
          failing.push(name);
          req.log.warn({ check: name, err }, 'readiness check failed');
        }
      }),
    );
    const degraded: string[] = [];
    await Promise.all(
      Object.entries(options.degradedWithout ?? {}).map(async ([name, check]) => {
        try {
          await withTimeout(check(), readyTimeoutMs, name);
        } catch (err) {
          degraded.push(name);
          req.log.warn({ check: name, err }, 'a dependency is down; serving without it');
        }
      }),
    );
    if (failing.length === 0) {
      res.json({
        status: degraded.length > 0 ? 'degraded' : 'ready',
        checks: checks.map(([name]) => name),
        ...(degraded.length > 0 ? { degraded: degraded.sort() } : {}),
      });
      return;
    }
    // Names only: a check's error text may carry hosts or connection details; it is logged instead.
    sendProblem(
      res,
      new UnavailableError('service.not_ready', `not ready: ${failing.sort().join(', ')} failing`, {
        retryAfterSeconds: 5,
      }),
      requestIdOf(res),
    );
  });

  if (rawPaths.length > 0) {
    const raw = express.raw({ type: () => true, limit: bodyLimit });
    app.use((req, res, next) => (matchesAny(req.path, rawPaths) ? raw(req, res, next) : next()));
  }
  const json = express.json({ limit: bodyLimit, strict: true, type: JSON_TYPES });
  app.use((req, res, next) => {
    if (matchesAny(req.path, rawPaths)) return next();
    const hasBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody && !req.is(JSON_TYPES)) {
      return next(
        new UnsupportedMediaTypeError('request.unsupported_media_type', 'send the body as application/json'),
      );
    }
    // No body announced at all (type-is' test, which body-parser applies): what body-parser would do,
    // without its hop. A `content-length: 0` still goes through it (an empty JSON body parses as {}).
    if (req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined) {
      if (!('body' in req)) (req as { body?: unknown }).body = undefined;
      return next();
    }
    json(req, res, next);
  });
  app.use(inputGuard);

  for (const route of definitions) {
    if (options.checkResponses && route.spec.responses) {
      app[route.method](route.path, responseCheck(route));
    }
    if ('public' in route.access) {
      app[route.method](route.path, route.handler);
      continue;
    }
    if ('service' in route.access) {
      if (!options.serviceKey) {
        throw new Error(
          `${options.service}: ${route.method.toUpperCase()} ${route.path} is for services but no serviceKey was given`,
        );
      }
      app[route.method](route.path, authenticateService(options.serviceKey), route.handler);
      continue;
    }
    if (!verifier) {
      throw new Error(
        `${options.service}: ${route.method.toUpperCase()} ${route.path} is authenticated but no verifier was given`,
      );
    }
    app[route.method](route.path, authenticate(verifier, route), route.handler);
  }

  app.use(notFoundHandler);
  app.use(problemMiddleware(logger));
  return app;
}
