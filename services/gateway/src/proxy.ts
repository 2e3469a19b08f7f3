import { type IncomingMessage, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import CircuitBreaker from 'opossum';
import { Pool, type Dispatcher } from 'undici';
import {
  AppError,
  injectTraceContext,
  PayloadTooLargeError,
  UnavailableError,
  UpstreamError,
  ValidationError,
} from '@geminis/service-kit';

/** Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'expect', // not hop-by-hop, but the gateway's node server answers 100-continue itself (undici refuses it)
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Headers a client may never set for an upstream: identity and tenant travel only inside the verified
 * token, which services verify again; forwarding information is the gateway's own.
 */
/** 413 naming the body and the limit, as the services' own 413 does. */
const bodyTooLarge = (limit: number) =>
  new PayloadTooLargeError('request.too_large', `the request body is too large (at most ${limit} bytes)`, {
    fieldErrors: [{ field: '(body)', message: `must be at most ${limit} bytes` }],
  });

export function isSpoofable(name: string): boolean {
  return (
    /^x-(tenant|user|role|auth|geminis|forwarded-|real-ip)/i.test(name) || name.toLowerCase() === 'forwarded'
  );
}

/** The client as the gateway resolved it, and the protocol it spoke (express's `req.ip`, `req.protocol`). */
export interface ClientOf {
  ip: string;
  protocol: string;
}

export function forwardedHeaders(
  req: IncomingMessage,
  requestId: string,
  client: ClientOf,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const inbound = req.headers;
  for (const name in inbound) {
    const value = inbound[name];
    if (value === undefined || HOP_BY_HOP.has(name) || isSpoofable(name) || name === 'x-request-id') continue;
    out[name] = value;
  }
  out['x-request-id'] = requestId;
  // The client as the gateway resolved it: the socket's peer, or, behind a configured trusted proxy, the
  // address that proxy saw. Never what the client itself wrote.
  out['x-forwarded-for'] = client.ip;
  out['x-forwarded-proto'] = client.protocol;
  if (req.headers.host) out['x-forwarded-host'] = req.headers.host;
  injectTraceContext(out as Record<string, string>);
  return out;
}

export interface UpstreamOptions {
  name: string;
  baseUrl: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  breaker?: { volumeThreshold?: number; errorThresholdPercentage?: number; resetTimeoutMs?: number };
}

/** The upstream answered with a status that counts against it (see DEPENDENCY_FAILURE); already passed on. */
class UpstreamFailure extends Error {
  constructor(readonly status: number) {
    super(`upstream answered ${status}`);
  }
}

/**
 * The answers that say the service (or what it depends on) is failing: these count for the breaker. A 500
 * does not: it is one request's failure — a bug or an input the service mishandled — and anyone can
 * provoke it, so counting it would let a single caller open the breaker and take the service away from
 * every tenant.
 */
const DEPENDENCY_FAILURE = new Set([502, 503, 504]);

/** The request body as it streams in, refused past `limit` bytes (the client's stream is left open for the 413). */
async function* limitedBody(req: IncomingMessage, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > limit) throw bodyTooLarge(limit);
    yield chunk;
  }
}

/**
 * One request's exchange with the upstream, as undici's dispatch handler: the answer's head is written to
 * the client as soon as it arrives (with the gateway's headers; the upstream's win, hop-by-hop ones
 * dropped) and settles the breaker's call — a failure for 502/503/504, which still goes to the client as
 * it is; the body then streams through with backpressure. A transport failure before the head rejects
 * (the gateway answers 502); after it, the client's connection is cut, as a proxy must.
 */
class Exchange implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private started = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly answerHeaders: Record<string, string | string[]>,
    private readonly resolve: () => void,
    private readonly reject: (err: unknown) => void,
  ) {
    // The client went away before the answer was complete: stop asking the upstream for it.
    res.once('close', () => {
      if (!res.writableFinished) this.controller?.abort(new Error('the client closed the connection'));
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    status: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (status < 200) return; // informational: the final head follows
    this.started = true;
    const out = this.answerHeaders;
    for (const name in headers) {
      const value = headers[name];
      if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
    }
    this.res.writeHead(status, out);
    if (DEPENDENCY_FAILURE.has(status)) this.reject(new UpstreamFailure(status));
    else this.resolve();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.res.write(chunk)) {
      controller.pause();
      this.res.once('drain', () => controller.resume());
    }
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.started) this.res.destroy();
    else this.reject(err);
  }
}

/**
 * One upstream service: an undici pool of keep-alive connections (node:http's client cost the gateway
 * about as much CPU per request as everything else together), a streaming forwarder (no body buffering, a
 * byte limit, timeouts for the head and between body chunks), and an opossum breaker that counts transport
 * failures, timeouts and 502/503/504 answers — never 4xx or 500 — so a down or slow service gets callers
 * a fast 503 with Retry-After instead of a hang.
 */
export function createUpstream(options: UpstreamOptions) {
  const target = new URL(options.baseUrl);
  const pool = new Pool(target.origin, {
    connections: 256,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });
  const resetTimeoutMs = options.breaker?.resetTimeoutMs ?? 10_000;

  /**
   * Sends the request; settles when the answer's head was written to the client (its body then streams
   * on), or rejects without having written anything.
   */
  function send(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    headers: Record<string, string | string[]>,
    answerHeaders: Record<string, string | string[]>,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const hasBody =
        req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      try {
        pool.dispatch(
          {
            method: req.method ?? 'GET',
            path,
            headers,
            body: hasBody
              ? Readable.from(limitedBody(req, options.bodyLimitBytes), { objectMode: false })
              : null,
          },
          new Exchange(res, answerHeaders, resolve, reject),
        );
      } catch (err) {
        // undici refused the request itself (a header or path it will not send): the client's doing.
        reject(
          new ValidationError('request.invalid', 'the request cannot be forwarded', {
            cause: err,
          }),
        );
      }
    });
  }

  const breaker = new CircuitBreaker(send, {
    name: options.name,
    timeout: false, // the request has its own timeouts, which really abort it
    volumeThreshold: options.breaker?.volumeThreshold ?? 10,
    errorThresholdPercentage: options.breaker?.errorThresholdPercentage ?? 50,
    resetTimeout: resetTimeoutMs,
    // Only the counts decide; latency percentiles (an array push per call, sorted per window) and the
    // per-second snapshot events are for dashboards the gateway does not feed.
    rollingPercentilesEnabled: false,
    enableSnapshots: false,
    errorFilter: (err: unknown) => err instanceof PayloadTooLargeError || err instanceof ValidationError,
  });

  const unavailable = (cause?: unknown) =>
    new UnavailableError('upstream.unavailable', `the ${options.name} service is unavailable`, {
      retryAfterSeconds: Math.ceil(resetTimeoutMs / 1000),
      ...(cause ? { cause } : {}),
    });

  /**
   * Streams the request to the upstream and its answer back. `headers` go out with the answer (the
   * upstream's own headers win over them). Settles once the answer's head is written; its body streams on.
   */
  async function forward(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    requestId: string,
    headers: Record<string, string | string[]>,
    client: ClientOf,
  ): Promise<void> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > options.bodyLimitBytes) {
      throw bodyTooLarge(options.bodyLimitBytes);
    }
    if (breaker.opened) throw unavailable();
    try {
      await breaker.fire(req, res, path, forwardedHeaders(req, requestId, client), headers);
    } catch (err) {
      if (err instanceof UpstreamFailure) return; // a 502/503/504: passed on as it is
      if (err instanceof AppError) throw err;
      if ((err as { code?: string }).code === 'EOPENBREAKER') throw unavailable(err);
      throw new UpstreamError('upstream.failed', `the ${options.name} service could not answer`, {
        cause: err,
      });
    }
  }

  /** The service's own part of the API document (its served routes). */
  async function openapi(): Promise<{ paths?: Record<string, unknown> }> {
    const res = await fetch(new URL('/openapi.json', options.baseUrl), {
      signal: AbortSignal.timeout(1_500),
    });
    if (!res.ok) throw new Error(`answered ${res.status}`);
    return (await res.json()) as { paths?: Record<string, unknown> };
  }

  async function ready(): Promise<void> {
    const res = await fetch(new URL('/readyz', options.baseUrl), { signal: AbortSignal.timeout(1_500) });
    if (!res.ok) throw new Error(`answered ${res.status}`);
  }

  return {
    name: options.name,
    forward,
    ready,
    openapi,
    breaker,
    close() {
      breaker.shutdown();
      void pool.destroy();
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
