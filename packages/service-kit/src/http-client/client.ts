import CircuitBreaker from 'opossum';
import { AppError, UnavailableError, UpstreamError } from '../errors';
import { type Logger } from '../logger';
import { injectTraceContext } from '../telemetry/context';

export interface HttpClientOptions {
  /** The dependency's name: one breaker per dependency. */
  name: string;
  baseUrl: string;
  /** Per attempt; the request is really aborted. Default 5000 ms. */
  timeoutMs?: number;
  /** Breaker state changes and retries are logged here. */
  logger?: Logger;
  breaker?: {
    /** Calls in the rolling window before the error rate can open the breaker. Default 10. */
    volumeThreshold?: number;
    errorThresholdPercentage?: number;
    resetTimeoutMs?: number;
    rollingCountTimeoutMs?: number;
  };
  retry?: { retries?: number; baseDelayMs?: number; maxDelayMs?: number };
}

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
  /** Overrides the method's default (GET/HEAD/PUT/DELETE are idempotent). */
  idempotent?: boolean;
  /** Makes a POST/PATCH safe to retry; sent as Idempotency-Key. */
  idempotencyKey?: string;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * A 4xx answer: the caller's problem, not a sign the dependency is unhealthy (it never counts toward
 * opening the breaker, and is never retried). Thrown with the upstream's status and the full response,
 * so callers can branch on `status` (e.g. 404 → "not found") or read `response.body`.
 */
export class ClientHttpError extends AppError {
  constructor(readonly response: HttpResponse) {
    super(response.status, 'upstream.rejected', `the upstream answered ${response.status}`);
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls to another service or a third party: a timeout on every call, one opossum breaker per dependency
 * (with a volume threshold, and an error filter so 4xx answers don't open it), and retries with capped
 * exponential backoff and full jitter — only for idempotent or keyed calls, and never through an open
 * breaker. An open breaker answers at once with a 503 carrying Retry-After.
 */
export function createHttpClient(options: HttpClientOptions) {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const retries = options.retry?.retries ?? 2;
  const baseDelayMs = options.retry?.baseDelayMs ?? 100;
  const maxDelayMs = options.retry?.maxDelayMs ?? 2_000;
  const resetTimeoutMs = options.breaker?.resetTimeoutMs ?? 30_000;

  async function once(req: HttpRequest): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
    let body: string | undefined;
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(req.body);
    }
    if (req.idempotencyKey) headers['idempotency-key'] = req.idempotencyKey;
    injectTraceContext(headers); // global fetch is not auto-instrumented: carry the trace ourselves
    const res = await fetch(new URL(req.path, options.baseUrl), {
      method: req.method,
      headers,
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    const response = { status: res.status, headers: res.headers, body: parsed };
    // 503 is the upstream saying "not now" (its own dependency is down, it is draining): the caller may
    // retry too, so it stays a 503 with the upstream's Retry-After (bounded) rather than becoming a 502.
    if (res.status === 503) {
      const after = Number(res.headers.get('retry-after'));
      throw new UnavailableError('upstream.unavailable', `${options.name} is unavailable`, {
        retryAfterSeconds: Number.isInteger(after) && after > 0 ? Math.min(after, 300) : 5,
      });
    }
    if (res.status >= 500)
      throw new UpstreamError('upstream.failed', `${options.name} answered ${res.status}`);
    if (res.status >= 400) throw new ClientHttpError(response);
    return response;
  }

  const breaker = new CircuitBreaker(once, {
    name: options.name,
    timeout: false, // the fetch has its own timeout, which really aborts the request
    volumeThreshold: options.breaker?.volumeThreshold ?? 10,
    errorThresholdPercentage: options.breaker?.errorThresholdPercentage ?? 50,
    resetTimeout: resetTimeoutMs,
    rollingCountTimeout: options.breaker?.rollingCountTimeoutMs ?? 10_000,
    errorFilter: (err: unknown) => err instanceof ClientHttpError,
  });
  const log = options.logger?.child({ dependency: options.name });
  if (log) {
    breaker.on('open', () => log.warn('circuit opened'));
    breaker.on('halfOpen', () => log.info('circuit half-open: probing'));
    breaker.on('close', () => log.info('circuit closed'));
  }
  const unavailable = (cause?: unknown) =>
    new UnavailableError('upstream.unavailable', `${options.name} is unavailable`, {
      retryAfterSeconds: Math.ceil(resetTimeoutMs / 1000),
      ...(cause !== undefined ? { cause } : {}),
    });

  async function request(req: HttpRequest): Promise<HttpResponse> {
    const retryable = req.idempotent ?? (IDEMPOTENT.has(req.method) || req.idempotencyKey !== undefined);
    for (let attempt = 0; ; attempt++) {
      // An open breaker answers at once, and stops any further retry.
      if (breaker.opened) throw unavailable();
      try {
        return await breaker.fire(req);
      } catch (err) {
        if (err instanceof ClientHttpError) throw err;
        // Rejected by the breaker (open, or half-open with its probe already out): nothing was sent.
        if ((err as { code?: string }).code === 'EOPENBREAKER') throw unavailable(err);
        // The call went out and failed; retry only when safe, and never into a breaker this just opened.
        if (!retryable || attempt >= retries || breaker.opened) {
          if (err instanceof AppError) throw err;
          throw new UpstreamError('upstream.failed', `${options.name} could not be reached`, { cause: err });
        }
        // Capped exponential backoff with full jitter: random(0, min(cap, base · 2^attempt)).
        const delay = Math.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
        log?.debug({ attempt: attempt + 1, delayMs: Math.round(delay), err }, 'retrying');
        await sleep(delay);
      }
    }
  }

  return { request, breaker, shutdown: () => breaker.shutdown() };
}

export type HttpClient = ReturnType<typeof createHttpClient>;
