import {
  tenantScope,
  type AuthContext,
  type Database,
  type Outbox,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { cancelUnpaidRenewals, extendOpenRenewals } from '../store/renewals.store';
import {
  findService,
  recordImmediateCancellation,
  requestCancellation,
  requestServiceAction,
  setDunningExempt,
  type ClientService,
} from '../store/services.store';
import { viewerOf } from './context';
import { dateOf } from './cycles';
import { nothingToExtend, serviceNotFound, serviceStateConflict } from './errors';
import {
  type CancellationInput,
  type DunningExemptionInput,
  type ExtensionInput,
  type ServiceActionInput,
} from './inputs';
import { enqueueRequest } from './lifecycle-requests';
import { type Settlement } from './settlement.service';
import { creditUnusedWholesale } from './wholesale-credits';

/**
 * What staff (and, for cancellation, the client) do to a client service. Each action locks the service as
 * the caller may see it (another tenant's or a sibling's is missing: 404), moves its status only from the
 * statuses it allows (409 otherwise, nothing written) and asks provisioning through the outbox in the
 * same transaction, with the reason recorded.
 */
export function createServiceActions(deps: {
  db: Database;
  outbox: Outbox;
  settlement: Settlement;
  now?: () => Date;
}) {
  const { db, outbox, settlement } = deps;
  const now = deps.now ?? (() => new Date());

  async function act(
    auth: AuthContext,
    id: string,
    tenantId: string | undefined,
    fn: (tx: Tx, scope: TenantScope, s: ClientService) => Promise<void>,
  ): Promise<ClientService> {
    const v = viewerOf(auth, tenantId);
    return db.withTenant(v.scope, async (tx) => {
      const found = await findService(tx, v.scope, id, v.clientId, true);
      if (!found) throw serviceNotFound();
      const scope = tenantScope(found.tenantId);
      await fn(tx, scope, found);
      return (await findService(tx, scope, id))!;
    });
  }

  return {
    /** The service with its lifecycle, as the caller may see it. */
    async get(auth: AuthContext, id: string, tenantId?: string): Promise<ClientService> {
      const v = viewerOf(auth, tenantId);
      const s = await db.withTenant(v.scope, (tx) => findService(tx, v.scope, id, v.clientId));
      if (!s) throw serviceNotFound();
      return s;
    },

    /** Staff suspend an active service (abuse, a dispute…): only staff lift it, paying does not. */
    suspend: (auth: AuthContext, id: string, input: ServiceActionInput, tenantId?: string) =>
      act(auth, id, tenantId, async (tx, scope, s) => {
        if (s.productType === 'domain')
          throw serviceStateConflict('a domain (it lapses at its registrar)', 'suspended');
        const moved = await requestServiceAction(tx, scope, id, ['active'], 'suspended', 'suspend', {
          reason: 'staff',
          note: input.reason,
          on: dateOf(now()),
        });
        if (!moved) throw serviceStateConflict(s.status, 'suspended');
        await enqueueRequest(tx, outbox, 'suspend', s, input.reason);
      }),

    /** Staff lift a suspension, whatever its reason. */
    unsuspend: (auth: AuthContext, id: string, input: ServiceActionInput, tenantId?: string) =>
      act(auth, id, tenantId, async (tx, scope, s) => {
        if (s.productType === 'domain')
          throw serviceStateConflict('a domain (it lapses at its registrar)', 'unsuspended');
        if (!(await requestServiceAction(tx, scope, id, ['suspended'], 'active', 'unsuspend')))
          throw serviceStateConflict(s.status, 'unsuspended');
        await enqueueRequest(tx, outbox, 'unsuspend', s, input.reason);
      }),

    /** Staff terminate a service for good (a resold one: its reseller credited the unused wholesale days). */
    terminate: (auth: AuthContext, id: string, input: ServiceActionInput, tenantId?: string) =>
      act(auth, id, tenantId, async (tx, scope, s) => {
        if (s.productType === 'domain')
          throw serviceStateConflict('a domain (it lapses at its registrar)', 'terminated');
        const from = ['active', 'suspended', 'provision_failed'] as const;
        if (!(await requestServiceAction(tx, scope, id, from, 'terminated', 'terminate')))
          throw serviceStateConflict(s.status, 'terminated');
        await cancelUnpaidRenewals(tx, scope, id);
        await enqueueRequest(tx, outbox, 'terminate', s, input.reason);
        await creditUnusedWholesale(tx, outbox, settlement, auth, s, dateOf(now()));
      }),

    /** Staff exempt a service from automatic suspension and termination for non-payment (or lift it). */
    exemptFromDunning: (auth: AuthContext, id: string, input: DunningExemptionInput, tenantId?: string) =>
      act(auth, id, tenantId, async (tx, scope) => {
        await setDunningExempt(tx, scope, id, input.exempt, input.reason);
      }),

    /** Staff give more time: the outstanding renewal invoice falls due `days` later (dunning counts from it). */
    extendDueDate: (auth: AuthContext, id: string, input: ExtensionInput, tenantId?: string) =>
      act(auth, id, tenantId, async (tx, scope) => {
        if ((await extendOpenRenewals(tx, scope, id, input.days)) === 0) throw nothingToExtend();
      }),

    /**
     * The client's cancellation (or staff's for it): at the end of the period (no renewal is issued any
     * more; the dunning job ends it on its due date), or now (cancelled, unpaid renewals cancelled, the
     * account's removal requested; a resold service's reseller credited the unused wholesale days).
     */
    cancel: (auth: AuthContext, id: string, input: CancellationInput, tenantId?: string) =>
      act(auth, id, tenantId, async (tx, scope, s) => {
        if (input.when === 'end_of_period') {
          if (!(await requestCancellation(tx, scope, id, input.reason)))
            throw serviceStateConflict(s.cancelAt ? 'already pending cancellation' : s.status, 'cancelled');
          await cancelUnpaidRenewals(tx, scope, id);
          return;
        }
        if (s.productType === 'domain')
          throw serviceStateConflict(
            'a domain (it lapses at its registrar)',
            'cancelled now: cancel it at the end of its period',
          );
        const from = ['active', 'suspended', 'provision_failed'] as const;
        if (!(await requestServiceAction(tx, scope, id, from, 'cancelled', 'terminate')))
          throw serviceStateConflict(s.status, 'cancelled');
        await recordImmediateCancellation(tx, scope, id, input.reason);
        await cancelUnpaidRenewals(tx, scope, id);
        await enqueueRequest(tx, outbox, 'terminate', s, `cancelled by the client: ${input.reason}`);
        await creditUnusedWholesale(tx, outbox, settlement, auth, s, dateOf(now()));
      }),
  };
}

export type ServiceActions = ReturnType<typeof createServiceActions>;
