import { type NextFunction, type Request, type Response } from 'express';
import { databaseDataError, isTransientDatabaseError } from '../db/errors';
import { AppError, NotFoundError, UnavailableError } from '../errors';
import { type Logger } from '../logger';

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  requestId?: string;
  errors?: { field: string; message: string }[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/** 413 naming what was too large (the body) and, when known, the limit in bytes. */
export function tooLarge(limitBytes?: unknown): AppError {
  const limit = typeof limitBytes === 'number' ? ` (at most ${limitBytes} bytes)` : '';
  return new AppError(413, 'request.too_large', `the request body is too large${limit}`, {
    fieldErrors: [
      {
        field: '(body)',
        message: typeof limitBytes === 'number' ? `must be at most ${limitBytes} bytes` : 'is too large',
      },
    ],
  });
}

/** Errors thrown by body-parser carry a `type`; map them to precise 4xx. */
function fromBodyParser(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  switch (err.type) {
    case 'entity.parse.failed':
      return new AppError(400, 'request.malformed_json', 'the request body is not valid JSON');
    case 'entity.too.large':
      return tooLarge((err as { limit?: unknown }).limit);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'request.unsupported_encoding', 'unsupported body encoding or charset');
    case 'request.aborted':
      return new AppError(400, 'request.aborted', 'the request was aborted');
    default:
      return undefined;
  }
}

/**
 * The database being down, restarting or read-only is the service being unavailable for a moment, not a
 * bug: 503 with Retry-After (the gateway's breaker counts 503s, and clients know to come back).
 */
function fromDatabase(err: unknown): AppError | undefined {
  if (!isTransientDatabaseError(err)) return undefined;
  return new UnavailableError(
    'service.unavailable',
    'the service is briefly unavailable; try again shortly',
    {
      retryAfterSeconds: 5,
      cause: err,
    },
  );
}

/**
 * A path the router could not decode (`/v1/things/%E0%A4%A`): express throws a URIError with status 400
 * while matching, before any access rule runs. The path is the caller's mistake, never a 500.
 */
function fromRouter(err: unknown): AppError | undefined {
  if (err instanceof URIError) {
    return new AppError(400, 'request.malformed_path', 'the request path is not valid percent-encoding');
  }
  return undefined;
}

/**
 * Other errors of express's own stack that say what they are: http-errors with a 4xx `status` (a body
 * whose Content-Encoding does not match it, a Content-Length that lies, a stream the client cut). Their
 * own message is not shown: a generic detail per status.
 */
function fromHttpError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null || !('expose' in err)) return undefined;
  const status =
    (err as { status?: unknown; statusCode?: unknown }).status ??
    (err as { statusCode?: unknown }).statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499) return undefined;
  if (status === 413) return tooLarge((err as { limit?: unknown }).limit);
  if (status === 415)
    return new AppError(415, 'request.unsupported_encoding', 'unsupported body encoding or charset');
  return new AppError(400, 'request.malformed', 'the request could not be read (body, encoding or length)');
}

/** A value the database refused (class 22/23): the caller's data, a 4xx naming no internals. */
function fromDataError(err: unknown): AppError | undefined {
  const meaning = databaseDataError(err);
  return meaning ? new AppError(meaning.status, meaning.code, meaning.detail, { cause: err }) : undefined;
}

/** What an error means for the caller: an AppError, or undefined for an unknown failure (a 500). */
function asAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  return (
    fromBodyParser(err) ?? fromRouter(err) ?? fromDatabase(err) ?? fromDataError(err) ?? fromHttpError(err)
  );
}

export function toProblem(err: unknown, requestId?: string): Problem {
  const app = asAppError(err);
  if (!app) {
    return {
      type: 'about:blank',
      title: TITLES[500]!,
      status: 500,
      code: 'internal',
      detail: 'an unexpected error occurred',
      ...(requestId ? { requestId } : {}),
    };
  }
  return {
    type: `https://geminis.dev/problems/${app.code}`,
    title: TITLES[app.status] ?? 'Error',
    status: app.status,
    code: app.code,
    detail: app.detail,
    ...(requestId ? { requestId } : {}),
    ...(app.fieldErrors ? { errors: app.fieldErrors } : {}),
  };
}

export function sendProblem(res: Response, err: unknown, requestId?: string): Problem {
  const app = asAppError(err);
  const problem = toProblem(app ?? err, requestId);
  if (app?.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(Math.max(1, Math.ceil(app.retryAfterSeconds))));
  }
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
  res.status(problem.status).type('application/problem+json').send(JSON.stringify(problem));
  return problem;
}

export function notFoundHandler(req: Request, _res: Response, next: NextFunction): void {
  next(new NotFoundError('route.not_found', `no route for ${req.method} ${req.path}`));
}

/** The one error middleware: problem+json, logged once (warn for 4xx, error for 5xx). */
export function problemMiddleware(logger: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const header = res.getHeader('x-request-id');
    const requestId = typeof header === 'string' ? header : undefined;
    // The request's child logger (requestId, traceId, tenantId) when the access log made one.
    const log = (req.log as Logger | undefined) ?? logger.child({ requestId });
    if (res.headersSent) {
      log.error({ err }, 'error after the response started');
      res.end();
      return;
    }
    const problem = sendProblem(res, err, requestId);
    const fields = {
      code: problem.code,
      status: problem.status,
      method: req.method,
      path: req.path,
    };
    if (problem.status >= 500) log.error({ ...fields, err }, 'request failed');
    else if (!(err instanceof AppError) && databaseDataError(err)) {
      // A schema let through what the database refused: answered 4xx, but a gap worth fixing.
      log.error({ ...fields, err }, 'the database refused a value no schema caught');
    } else log.warn(fields, problem.detail);
  };
}
