import CircuitBreaker from 'opossum';
import { type KitLogger } from '@geminis/service-kit';
import { PanelError } from './panel';

export interface PanelRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers: Record<string, string>;
  /** Already encoded (a form or an XML packet): panels do not speak only JSON. */
  body?: string;
  timeoutMs: number;
  /** The registrars: keep a 5xx answer's body on the error (LogicBoxes says why in a 500's body). */
  keepErrorBody?: boolean;
}

export interface PanelResponse {
  status: number;
  contentType: string;
  text: string;
}

export interface PanelHttpOptions {
  logger?: KitLogger;
  /** Calls in flight towards one server at most (a panel creating accounts is slow; don't pile on). */
  perServerConcurrency?: number;
  breaker?: { volumeThreshold?: number; errorThresholdPercentage?: number; resetTimeoutMs?: number };
}

/**
 * HTTP towards the panels: a real timeout on every call (the request is aborted), a bound on the calls in
 * flight per server, and one opossum breaker per server, so one dead panel fails fast without touching
 * the others. Only transport failures and 5xx
 * count towards opening it; a panel that answers "no" is healthy. No retries here: a mutating panel call
 * is never repeated blindly; the job runner retries after reading state.
 *
 * Not the kit's createHttpClient: it JSON-encodes every body, and WHM forms, Plesk XML packets and
 * DirectAdmin forms are not JSON.
 */
export function createPanelHttp(options: PanelHttpOptions = {}) {
  const breakers = new Map<string, CircuitBreaker<[PanelRequest], PanelResponse>>();
  const limit = options.perServerConcurrency ?? 4;
  const slots = new Map<string, { busy: number; waiting: (() => void)[] }>();

  /** Waits for a free slot of this server's (FIFO); the returned function frees it. */
  async function acquire(serverId: string): Promise<() => void> {
    let s = slots.get(serverId);
    if (!s) slots.set(serverId, (s = { busy: 0, waiting: [] }));
    const slot = s;
    if (slot.busy >= limit) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    else slot.busy += 1;
    return () => {
      const next = slot.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next caller
      else slot.busy -= 1;
    };
  }

  async function once(req: PanelRequest): Promise<PanelResponse> {
    let res: Response;
    try {
      res = await fetch(req.url, {
        method: req.method,
        headers: req.headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        signal: AbortSignal.timeout(req.timeoutMs),
        redirect: 'manual',
      });
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name === 'TimeoutError' || name === 'AbortError')
        throw new PanelError('timeout', `no answer within ${req.timeoutMs} ms`);
      throw new PanelError('unavailable', 'the panel could not be reached');
    }
    const text = await res.text().catch(() => {
      throw new PanelError('timeout', 'the answer was cut off');
    });
    if (res.status >= 500) {
      const error = new PanelError('unavailable', `the panel answered HTTP ${res.status}`);
      if (req.keepErrorBody) error.response = { status: res.status, text };
      throw error;
    }
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text };
  }

  function breakerFor(serverId: string) {
    let breaker = breakers.get(serverId);
    if (!breaker) {
      breaker = new CircuitBreaker(once, {
        name: `panel:${serverId}`,
        timeout: false, // the fetch has its own timeout, which really aborts the request
        volumeThreshold: options.breaker?.volumeThreshold ?? 5,
        errorThresholdPercentage: options.breaker?.errorThresholdPercentage ?? 50,
        resetTimeout: options.breaker?.resetTimeoutMs ?? 30_000,
        rollingCountTimeout: 60_000,
        errorFilter: (err: unknown) => err instanceof PanelError && !err.retryable,
      });
      const log = options.logger?.child({ serverId });
      if (log) {
        breaker.on('open', () => log.warn({}, 'panel circuit opened'));
        breaker.on('close', () => log.info({}, 'panel circuit closed'));
      }
      breakers.set(serverId, breaker);
    }
    return breaker;
  }

  return {
    async send(serverId: string, req: PanelRequest): Promise<PanelResponse> {
      const breaker = breakerFor(serverId);
      if (breaker.opened) throw new PanelError('unavailable', 'the panel is failing: its circuit is open');
      const release = await acquire(serverId);
      try {
        return await breaker.fire(req);
      } catch (err) {
        if (err instanceof PanelError) throw err;
        if ((err as { code?: string }).code === 'EOPENBREAKER')
          throw new PanelError('unavailable', 'the panel is failing: its circuit is open');
        throw new PanelError('unavailable', 'the panel call failed');
      } finally {
        release();
      }
    },
    isOpen: (serverId: string) => breakers.get(serverId)?.opened ?? false,
    shutdown() {
      for (const b of breakers.values()) b.shutdown();
      breakers.clear();
    },
  };
}

export type PanelHttp = ReturnType<typeof createPanelHttp>;
