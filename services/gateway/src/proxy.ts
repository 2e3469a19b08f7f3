import {
  Agent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import CircuitBreaker from 'opossum';
import {
  AppError,
  injectTraceContext,
  PayloadTooLargeError,
  UnavailableError,
  UpstreamError,
} from '@geminis/service-kit';

/** Hop-by-hop headers (RFC 9110 §7.6.1) are never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
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

/** The upstream's answer headers, without hop-by-hop ones, added to `out` (theirs win). */
function responseHeaders(
  headers: IncomingHttpHeaders,
  out: Record<string, string | string[]>,
): Record<string, string | string[]> {
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

export interface UpstreamOptions {
  name: string;
  baseUrl: string;
  timeoutMs: number;
  bodyLimitBytes: number;
  breaker?: { volumeThreshold?: number; errorThresholdPercentage?: number; resetTimeoutMs?: number };
}

class UpstreamFailure extends Error {
  constructor(readonly response: IncomingMessage) {
    super(`upstream answered ${response.statusCode}`);
  }
}

/**
 * The answers that say the service (or what it depends on) is failing: these count for the breaker. A 500
 * does not: it is one request's failure — a bug or an input the service mishandled — and anyone can
 * provoke it, so counting it would let a single caller open the breaker and take the service away from
 * every tenant.
 */
const DEPENDENCY_FAILURE = new Set([502, 503, 504]);

/**
 * One upstream service: a keep-alive agent, a streaming forwarder (no body buffering, a byte limit, a
 * timeout), and an opossum breaker that counts transport failures, timeouts and 502/503/504 answers —
 * never 4xx or 500 — so a down or slow service gets callers a fast 503 with Retry-After instead of a hang.
 */
export function createUpstream(options: UpstreamOptions) {
  const target = new URL(options.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const resetTimeoutMs = options.breaker?.resetTimeoutMs ?? 10_000;

  function send(
    req: IncomingMessage,
    path: string,
    headers: Record<string, string | string[]>,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const upstream = httpRequest({
        agent,
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers,
        timeout: options.timeoutMs,
      });
      upstream.on('timeout', () => upstream.destroy(new Error(`${options.name} timed out`)));
      upstream.on('error', reject);
      upstream.on('response', (res) => {
        if (DEPENDENCY_FAILURE.has(res.statusCode ?? 502)) reject(new UpstreamFailure(res));
        else resolve(res);
      });
      const hasBody =
        req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      if (!hasBody) {
        upstream.end(); // nothing to stream: send the request now rather than after the client stream ends
        return;
      }
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > options.bodyLimitBytes) {
          req.unpipe(upstream);
          upstream.destroy();
          reject(bodyTooLarge(options.bodyLimitBytes));
        }
      });
      req.on('aborted', () => upstream.destroy());
      req.pipe(upstream);
    });
  }

  const breaker = new CircuitBreaker(send, {
    name: options.name,
    timeout: false, // the request has its own timeout, which really aborts it
    volumeThreshold: options.breaker?.volumeThreshold ?? 10,
    errorThresholdPercentage: options.breaker?.errorThresholdPercentage ?? 50,
    resetTimeout: resetTimeoutMs,
    errorFilter: (err: unknown) => err instanceof PayloadTooLargeError,
  });

  const unavailable = (cause?: unknown) =>
    new UnavailableError('upstream.unavailable', `the ${options.name} service is unavailable`, {
      retryAfterSeconds: Math.ceil(resetTimeoutMs / 1000),
      ...(cause ? { cause } : {}),
    });

  /**
   * Streams the request to the upstream and its answer back. `headers` go out with the answer (the
   * upstream's own headers win over them).
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
    let upstreamRes: IncomingMessage;
    try {
      upstreamRes = await breaker.fire(req, path, forwardedHeaders(req, requestId, client));
    } catch (err) {
      if (err instanceof UpstreamFailure)
        upstreamRes = err.response; // a 5xx: pass it on as it is
      else if (err instanceof AppError) throw err;
      else if ((err as { code?: string }).code === 'EOPENBREAKER') throw unavailable(err);
      else
        throw new UpstreamError('upstream.failed', `the ${options.name} service could not answer`, {
          cause: err,
        });
    }
    res.writeHead(upstreamRes.statusCode ?? 502, responseHeaders(upstreamRes.headers, headers));
    await new Promise<void>((resolve) => {
      upstreamRes.pipe(res);
      upstreamRes.on('end', resolve);
      upstreamRes.on('error', () => {
        res.destroy();
        resolve();
      });
      res.on('close', resolve);
    });
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
      agent.destroy();
    },
  };
}

export type Upstream = ReturnType<typeof createUpstream>;
