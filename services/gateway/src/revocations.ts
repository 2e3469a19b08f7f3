import { type EventData, type ResellerSuspended, type UserStatusChanged } from '@geminis/contracts';
import {
  createRevocationList,
  type AuthContext,
  type Bus,
  type RevocationListOptions,
  type Subscription,
} from '@geminis/service-kit';
import { onEvent } from './events';

export type RevocationsOptions = RevocationListOptions;

/**
 * The kit's revocation list (users, tenants and sessions, filled from identity when the gateway starts and
 * refreshed from it every few seconds) plus identity's events heard as they happen: a suspension
 * (`identity.user.status_changed.v1` to anything but active, `identity.reseller.suspended.v1`) is refused
 * at the front door at once, on every replica (a per-replica queue).
 */
export function createRevocations(options: RevocationsOptions) {
  const list = createRevocationList(options);

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
          if (data.to !== 'active') list.revoke('user', data.userId, at);
        } else if (event.type === 'identity.reseller.suspended.v1') {
          list.revoke('tenant', (event.data as EventData<typeof ResellerSuspended>).resellerId, at);
        }
      }),
    );
  }

  return {
    isRevoked: (auth: AuthContext) => list.isRevoked(auth),
    revoke: (kind: 'user' | 'tenant' | 'session', id: string, atMs: number) => list.revoke(kind, id, atMs),
    load: () => list.load(),
    loadUntilDone: (retryMs?: number) => list.loadUntilDone(retryMs),
    subscribe,
    get ready() {
      return list.ready;
    },
    close: () => list.close(),
  };
}

export type RevocationList = ReturnType<typeof createRevocations>;
