import {
  IDENTITY_INTERNAL,
  Revocations,
  type EventData,
  type ResellerSuspended,
  type Revocation,
  type UserStatusChanged,
} from '@geminis/contracts';
import {
  createHttpClient,
  SERVICE_KEY_HEADER,
  type AuthContext,
  type Bus,
  type Logger,
  type Subscription,
} from '@geminis/service-kit';
import { onEvent } from './events';

export interface RevocationsOptions {
  /** How long a revocation matters: the access-token lifetime. Older entries are dropped. */
  windowMs: number;
  /**
   * Margin, in seconds, for the clocks of identity's database (the time of the change) and of its token
   * signer (`iat`): tokens issued up to this long after a revocation are refused too. A user reactivated
   * within it signs in again.
   */
  skewSeconds?: number;
  /** Where to fill the list from when the gateway starts (the events cover what happens after). */
  identityUrl?: string;
  serviceKey?: string;
  logger?: Logger;
  now?: () => number;
}

/**
 * Access tokens live up to 15 minutes and services verify them offline, so a suspended client or the
 * users of a suspended reseller would keep their access until expiry. The gateway closes that at the
 * front door: it hears identity's `identity.user.status_changed.v1` (to anything but active) and
 * `identity.reseller.suspended.v1` on its own per-replica queue, and refuses tokens of that user (or of
 * that tenant) issued at or before the change. A replica that starts later fills the list from identity
 * (`/internal/v1/revocations?since=`); entries older than a token's lifetime are dropped.
 */
export function createRevocations(options: RevocationsOptions) {
  const now = options.now ?? Date.now;
  const skew = options.skewSeconds ?? 5;
  const byKind: Record<Revocation['kind'], Map<string, number>> = { user: new Map(), tenant: new Map() };
  let loaded = false;
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

  const refused = (at: number | undefined, issuedAt: number) =>
    at !== undefined && at >= now() - options.windowMs && issuedAt <= Math.floor(at / 1000) + skew;

  /** True when the token was issued at or before its user's or its tenant's revocation. */
  function isRevoked(auth: AuthContext): boolean {
    return (
      refused(byKind.user.get(auth.userId), auth.issuedAt) ||
      refused(byKind.tenant.get(auth.tenantId), auth.issuedAt)
    );
  }

  /** Fills the list with what identity revoked in the last token lifetime. */
  async function load(): Promise<void> {
    if (!identity || !options.serviceKey) throw new Error('no identity URL or service key to load from');
    const res = await identity.request({
      method: 'GET',
      path: IDENTITY_INTERNAL.revocations(new Date(now() - options.windowMs)),
      headers: { [SERVICE_KEY_HEADER]: options.serviceKey },
    });
    for (const r of Revocations.parse(res.body).items) revoke(r.kind, r.id, Date.parse(r.at));
    loaded = true;
  }

  /** Loads now, and keeps retrying in the background until it succeeds (identity may start later). */
  function loadUntilDone(retryMs = 5_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const attempt = (): Promise<void> =>
      load().catch((err: unknown) => {
        options.logger?.warn({ err }, 'could not load revoked tokens from identity; retrying');
        timer = setTimeout(() => void attempt(), retryMs);
        timer.unref();
      });
    stops.push(() => clearTimeout(timer));
    return attempt();
  }

  /** Hears identity's suspensions on this replica's own queue (every replica must hear every one). */
  async function subscribe(bus: Bus, instance: string): Promise<Subscription> {
    return bus.subscribe(
      {
        name: 'gateway.revocations',
        bindings: ['identity.user.status_changed.v1', 'identity.reseller.suspended.v1'],
        instance,
      },
      onEvent((event) => {
        const at = Date.parse(event.time);
        if (event.type === 'identity.user.status_changed.v1') {
          const data = event.data as EventData<typeof UserStatusChanged>;
          if (data.to !== 'active') revoke('user', data.userId, at);
        } else if (event.type === 'identity.reseller.suspended.v1') {
          revoke('tenant', (event.data as EventData<typeof ResellerSuspended>).resellerId, at);
        }
      }),
    );
  }

  return {
    isRevoked,
    revoke,
    load,
    loadUntilDone,
    subscribe,
    /**
     * False while the list still has to be filled from identity (until then this replica may not know
     * of a suspension that happened before it started); true once filled, or with no identity to ask.
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

export type RevocationList = ReturnType<typeof createRevocations>;
