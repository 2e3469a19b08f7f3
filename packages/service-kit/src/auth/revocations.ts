import { IDENTITY_INTERNAL, Revocations, type Revocation } from '@geminis/contracts';
import { UnauthenticatedError } from '../errors';
import { SERVICE_KEY_HEADER } from '../http/app';
import { createHttpClient } from '../http-client';
import { type AuthContext } from '../tenant';
import { type TokenVerifier } from './verifier';

export interface RevocationListOptions {
  /** How long a revocation matters: the access-token lifetime. Older entries are dropped. */
  windowMs: number;
  /**
   * Margin, in seconds, for the clocks of identity's database (the time of a status change) and of its
   * token signer (`iat`): tokens issued up to this long after a user or tenant revocation are refused too.
   * Session revocations need none: every token of the session is refused.
   */
  skewSeconds?: number;
  /** Where the list comes from: identity's `/internal/v1/revocations`, with the service key. */
  identityUrl?: string;
  serviceKey?: string;
  /**
   * Asks identity again this often for what was revoked since the last answer (default 5 s): logouts,
   * password changes and refresh-token reuse reach every service within that time, with or without a bus.
   */
  refreshMs?: number;
  logger?: { warn(obj: object, msg?: string): void };
  now?: () => number;
}

/**
 * Access tokens live up to 15 minutes and services verify them offline, so a suspended user, a logged-out
 * session or a changed password would keep access until expiry. This list is the feed every service and
 * the gateway share (DESIGN.md §5: services verify tokens again, so they refuse revoked ones too): users
 * (tokens issued at or before the change), tenants (a suspended reseller's users) and sessions (every
 * token carrying that `sid`), filled from identity when it starts and refreshed from it periodically;
 * the gateway also feeds it identity's events as they happen.
 */
export function createRevocationList(options: RevocationListOptions) {
  const now = options.now ?? Date.now;
  const skew = options.skewSeconds ?? 5;
  const byKind: Record<Revocation['kind'], Map<string, number>> = {
    user: new Map(),
    tenant: new Map(),
    session: new Map(),
  };
  let loaded = false;
  let lastAsked: number | undefined;
  const stops: Array<() => void> = [];
  const identity =
    options.identityUrl && options.serviceKey
      ? createHttpClient({
          name: 'identity',
          baseUrl: options.identityUrl,
          timeoutMs: 3_000,
          retry: { retries: 2, baseDelayMs: 100, maxDelayMs: 1_000 },
        })
      : undefined;

  function prune(): void {
    const oldest = now() - options.windowMs;
    for (const map of Object.values(byKind)) for (const [id, at] of map) if (at < oldest) map.delete(id);
  }
  const pruner = setInterval(prune, 60_000);
  pruner.unref();
  stops.push(() => clearInterval(pruner));

  function revoke(kind: Revocation['kind'], id: string, atMs: number): void {
    if (!Number.isFinite(atMs) || atMs < now() - options.windowMs) return;
    const map = byKind[kind];
    if ((map.get(id) ?? 0) < atMs) map.set(id, atMs);
  }

  const live = (at: number | undefined): at is number => at !== undefined && at >= now() - options.windowMs;
  const refused = (at: number | undefined, issuedAt: number) =>
    live(at) && issuedAt <= Math.floor(at / 1000) + skew;

  /** True when the token's session was revoked, or it was issued at or before its user's or tenant's revocation. */
  function isRevoked(auth: AuthContext): boolean {
    return (
      (auth.sessionId !== undefined && live(byKind.session.get(auth.sessionId))) ||
      refused(byKind.user.get(auth.userId), auth.issuedAt) ||
      refused(byKind.tenant.get(auth.tenantId), auth.issuedAt)
    );
  }

  /** Fills the list with what identity revoked since the last answer (the last token lifetime at first). */
  async function load(): Promise<void> {
    if (!identity || !options.serviceKey) throw new Error('no identity URL or service key to load from');
    const asking = now();
    // Overlap the previous answer by a few seconds: a revocation committed while it was being read is not missed.
    const since = lastAsked === undefined ? asking - options.windowMs : lastAsked - 5_000;
    const res = await identity.request({
      method: 'GET',
      path: IDENTITY_INTERNAL.revocations(new Date(since)),
      headers: { [SERVICE_KEY_HEADER]: options.serviceKey },
    });
    for (const r of Revocations.parse(res.body).items) revoke(r.kind, r.id, Date.parse(r.at));
    lastAsked = asking;
    loaded = true;
  }

  /** Loads now, retrying in the background until it succeeds, then keeps refreshing every `refreshMs`. */
  function loadUntilDone(retryMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const refreshMs = options.refreshMs ?? 5_000;
    const schedule = (ms: number) => {
      timer = setTimeout(() => void attempt(), ms);
      timer.unref();
    };
    const attempt = (): Promise<void> =>
      load().then(
        () => schedule(refreshMs),
        (err: unknown) => {
          options.logger?.warn({ err }, 'could not load revoked tokens from identity; retrying');
          schedule(retryMs);
        },
      );
    stops.push(() => clearTimeout(timer));
    return attempt();
  }

  return {
    isRevoked,
    revoke,
    load,
    loadUntilDone,
    /**
     * False while the list still has to be filled from identity (until then this process may not know of
     * a revocation that happened before it started); true once filled, or with no identity to ask.
     */
    get ready() {
      return loaded || !identity;
    },
    close(): void {
      for (const stop of stops) stop();
      identity?.shutdown();
    },
  };
}

export type RevocationList = ReturnType<typeof createRevocationList>;

/** Something that says whether a verified token was revoked since it was issued. */
export interface RevocationCheck {
  isRevoked(auth: AuthContext): boolean | Promise<boolean>;
}

/** A verifier that also refuses revoked tokens: 401 `auth.revoked`, like any other token it cannot accept. */
export function refusingRevoked(verifier: TokenVerifier, revocations: RevocationCheck): TokenVerifier {
  return {
    async verify(token) {
      const auth = await verifier.verify(token);
      if (await revocations.isRevoked(auth)) {
        throw new UnauthenticatedError('auth.revoked', 'this access token was revoked; sign in again');
      }
      return auth;
    },
  };
}
