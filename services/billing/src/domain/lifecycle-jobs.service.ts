import {
  allTenants,
  BusinessRuleError,
  ForbiddenError,
  hourlyUtc,
  tenantScope,
  type AuthContext,
  type Database,
  type Job,
  type Tx,
} from '@geminis/service-kit';
import { findService } from '../store/services.store';
import { viewerOf } from './context';
import { serviceNotFound } from './errors';
import {
  cancelEndedBatch,
  lateFeeBatch,
  reminderBatch,
  suspendOverdueBatch,
  terminateOverdueBatch,
  unsuspendSettledBatch,
  type StepBatch,
} from '../store/dunning.store';
import { findInvoice, settleFree } from '../store/invoices.store';
import {
  issueRenewalBatch,
  renewalCovering,
  longestLeadDays,
  type RenewalBatch,
  type RenewalCursor,
  type RenewalLane,
} from '../store/renewals.store';
import { type DemoClock } from '../config';
import { dateOf } from './cycles';
import { type Settlement } from './settlement.service';

export const DEFAULT_BATCH_SIZE = 500;

/**
 * Renewal invoices issued per batch (one statement, one transaction): bounded, and big enough that the
 * statement's fixed cost (planning, round trips, commit) is small beside its rows (bench/renewals sweeps it).
 */
export const DEFAULT_RENEWAL_BATCH_SIZE = 5000;

/**
 * Lanes a renewal run walks at once, each on its own connection and its own tenants (renewalLaneOf): a batch
 * is one statement on one backend, so one lane uses one CPU of the database however many it has. One by
 * default: on the 2-CPU bench machine, shared with other work, two lanes ran 50k renewals in 5.9–6.6 s in
 * some runs and 17–77 s in others (not understood yet; one lane: 6–11 s), so more lanes are opt-in.
 */
export const DEFAULT_RENEWAL_LANES = 1;

/**
 * The nightly lifecycle, set-based: each batch is one SQL statement over at most `batchSize` due rows in
 * its own transaction (never the whole due set in Node, never one giant transaction), repeated until a
 * batch comes back short. Everything is idempotent per period (renewal key, dunning steps, conditional
 * status changes), so a rerun, a crash mid-way or a second replica issues and requests nothing twice.
 */
export function createLifecycleJobs(deps: {
  db: Database;
  settlement: Settlement;
  now?: () => Date;
  batchSize?: number;
  /** Renewals per batch (default: `batchSize` when given, else DEFAULT_RENEWAL_BATCH_SIZE). */
  renewalBatchSize?: number;
  /** Lanes of a renewal run (default DEFAULT_RENEWAL_LANES; the pool needs as many connections). */
  renewalLanes?: number;
}) {
  const { db, settlement } = deps;
  const now = deps.now ?? (() => new Date());
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  const renewalBatchSize = deps.renewalBatchSize ?? deps.batchSize ?? DEFAULT_RENEWAL_BATCH_SIZE;
  const renewalLanes = Math.max(1, deps.renewalLanes ?? DEFAULT_RENEWAL_LANES);

  async function batches<T extends { selected: number }>(
    one: (tx: Tx, today: string) => Promise<T>,
    count: (b: T) => number,
  ): Promise<number> {
    const today = dateOf(now());
    let total = 0;
    for (;;) {
      const b = await db.withTenant(allTenants, (tx) => one(tx, today));
      total += count(b);
      if (b.selected < batchSize) return total;
    }
  }

  /** A renewal invoice of nothing (a 100% recurring discount) is paid as it is issued. */
  async function settleFreeRenewals(tx: Tx, b: RenewalBatch) {
    for (const f of b.free) {
      const scope = tenantScope(f.tenantId);
      if (!(await settleFree(tx, scope, f.invoiceId))) continue;
      const invoice = (await findInvoice(tx, scope, f.invoiceId))!;
      await settlement.invoicePaid(tx, scope, invoice, invoice.paidAt!);
    }
  }

  return {
    /**
     * Renews one service now, however far its due date (a client renewing a domain early, or paying a
     * hosting period in advance): the next period's renewal invoice, exactly as the nightly run would issue
     * it, and an answer with that invoice. Asking again before the due date moves gives the same invoice;
     * paying it moves the due date by one term (and, for a domain, asks its registrar for the year).
     */
    async renewNow(
      auth: AuthContext,
      serviceId: string,
      tenantId?: string,
    ): Promise<{ invoiceId: string; issued: boolean }> {
      const v = viewerOf(auth, tenantId);
      const service = await db.withTenant(v.scope, (tx) => findService(tx, v.scope, serviceId, v.clientId));
      if (!service) throw serviceNotFound();
      if (!['active', 'suspended'].includes(service.status) || service.cancelAt !== null)
        throw new BusinessRuleError(
          'billing.not_renewable',
          'only an active or suspended service that is not being cancelled can be renewed',
        );
      if (service.cycle === 'onetime' || service.cycle === 'free')
        throw new BusinessRuleError('billing.not_renewable', `a ${service.cycle} service does not renew`);
      const scope = tenantScope(service.tenantId);
      return db.withTenant(scope, async (tx) => {
        const batch = await issueRenewalBatch(tx, scope, dateOf(now()), 1, null, 0, service.id);
        await settleFreeRenewals(tx, batch);
        const invoiceId = await renewalCovering(tx, scope, service.id);
        if (!invoiceId)
          throw new BusinessRuleError('billing.not_renewable', 'this service cannot be renewed now');
        return { invoiceId, issued: batch.issued > 0 };
      });
    },

    /**
     * Issues the renewal invoices of every due service; returns how many were issued. The batches of a run
     * walk the due set once in (due date, id) order (a keyset), each in its own transaction.
     */
    async renew(): Promise<number> {
      const today = dateOf(now());
      const horizon = await db.withTenant(allTenants, (tx) => longestLeadDays(tx, allTenants));
      const walk = async (lane: RenewalLane | null) => {
        let after: RenewalCursor | null = null;
        let total = 0;
        for (;;) {
          const b: RenewalBatch = await db.withTenant(allTenants, async (tx) => {
            const batch = await issueRenewalBatch(
              tx,
              allTenants,
              today,
              renewalBatchSize,
              after,
              horizon,
              null,
              lane,
            );
            await settleFreeRenewals(tx, batch);
            return batch;
          });
          total += b.issued;
          if (!b.more || !b.last) return total;
          after = b.last;
        }
      };
      if (renewalLanes === 1) return walk(null);
      // every lane ends before the run answers (a failed lane does not leave the others running behind it)
      const lanes = await Promise.allSettled(
        Array.from({ length: renewalLanes }, (_, is) => walk({ is, of: renewalLanes })),
      );
      const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
      if (failed) throw failed.reason;
      return lanes.reduce((sum, l) => sum + (l.status === 'fulfilled' ? l.value : 0), 0);
    },

    /**
     * Dunning: suspensions for non-payment lifted where nothing is overdue any more, late fees, new
     * suspensions, terminations, then cancellations whose period ended.
     */
    async dun(): Promise<{
      unsuspended: number;
      reminders: number;
      lateFees: number;
      suspended: number;
      terminated: number;
      cancelled: number;
    }> {
      const moved = (b: StepBatch) => b.moved;
      const unsuspended = await batches(
        (tx, today) => unsuspendSettledBatch(tx, allTenants, today, batchSize),
        moved,
      );
      const lateFees = await batches((tx, today) => lateFeeBatch(tx, allTenants, today, batchSize), moved);
      // after the late fee, so an overdue reminder carries the balance with the fee in it
      const reminders = await batches((tx, today) => reminderBatch(tx, allTenants, today, batchSize), moved);
      const suspended = await batches(
        (tx, today) => suspendOverdueBatch(tx, allTenants, today, batchSize),
        moved,
      );
      const terminated = await batches(
        (tx, today) => terminateOverdueBatch(tx, allTenants, today, batchSize),
        moved,
      );
      const cancelled = await batches(
        (tx, today) => cancelEndedBatch(tx, allTenants, today, batchSize),
        moved,
      );
      return { unsuspended, reminders, lateFees, suspended, terminated, cancelled };
    },
  };
}

export type LifecycleJobs = ReturnType<typeof createLifecycleJobs>;

/**
 * The lifecycle's scheduled jobs (kit scheduler: an advisory lock and a lease, so one replica runs each
 * period): hourly, checked every five minutes; every run is idempotent, so a retried period is safe.
 */
export function lifecycleSchedule(
  jobs: LifecycleJobs,
  logger: { info(obj: object, msg: string): void },
  wholesale?: { run(): Promise<object> },
): Job[] {
  return [
    ...(wholesale
      ? [
          {
            name: 'billing.wholesale',
            everyMs: 5 * 60_000,
            // once a day across replicas: the day's consolidated wholesale invoices (idempotent per period)
            period: (now: Date) => now.toISOString().slice(0, 10),
            leaseMs: 60 * 60_000,
            run: async () => {
              logger.info(await wholesale.run(), 'wholesale run done');
            },
          },
        ]
      : []),
    {
      name: 'billing.renewals',
      everyMs: 5 * 60_000,
      period: hourlyUtc,
      leaseMs: 60 * 60_000,
      run: async () => {
        logger.info({ issued: await jobs.renew() }, 'renewal invoices issued');
      },
    },
    {
      name: 'billing.dunning',
      everyMs: 5 * 60_000,
      period: hourlyUtc,
      leaseMs: 60 * 60_000,
      run: async () => {
        logger.info(await jobs.dun(), 'dunning done');
      },
    },
  ];
}

/**
 * Staff run the nightly lifecycle now (POST /v1/billing-runs): exactly what the scheduler runs — renewals,
 * dunning, the wholesale run — as of billing's clock, each idempotent, so a run the scheduler also makes
 * issues nothing twice. In the embedded demo an admin may first move billing's clock forward
 * (`advanceDays`) to show a service renewed, overdue, suspended; production's clock never moves.
 */
export function createBillingRuns(deps: {
  lifecycle: LifecycleJobs;
  wholesale: {
    run(): Promise<{ charged: number; invoiced: number; suspended: number; unsuspended: number }>;
  };
  demoClock?: DemoClock | undefined;
  now?: () => Date;
}) {
  const now = deps.now ?? (() => new Date());
  return {
    async run(auth: AuthContext, input: { advanceDays?: number | undefined }) {
      if (auth.role !== 'admin') throw new ForbiddenError('auth.forbidden', 'the platform’s staff only');
      if (input.advanceDays !== undefined) {
        if (!deps.demoClock)
          throw new BusinessRuleError(
            'billing.clock_fixed',
            'billing’s clock is the real one here (production): it cannot be moved',
          );
        deps.demoClock.advance(input.advanceDays);
      }
      const renewals = await deps.lifecycle.renew();
      const dunning = await deps.lifecycle.dun();
      const wholesale = await deps.wholesale.run();
      return {
        asOf: dateOf(now()),
        clockOffsetDays: deps.demoClock?.offsetDays() ?? 0,
        renewals,
        dunning,
        wholesale,
      };
    },
  };
}

export type BillingRuns = ReturnType<typeof createBillingRuns>;
