import { newId, rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { type Harness } from './provisioning';

/** A provision request as billing sends it (contracts fixture shape). */
export const provisionRequest = (over: Record<string, unknown> = {}) => ({
  serviceId: newId(),
  orderId: newId(),
  invoiceId: newId(),
  client: { clientId: newId(), email: 'ada@example.com', name: 'Ada Client' },
  cycle: 'monthly',
  productId: newId(),
  productName: 'Starter Hosting',
  productType: 'shared_hosting',
  module: 'cpanel',
  moduleConfig: { package: 'starter', reseller: false, dedicatedIp: false },
  domain: 'ada-example.com',
  ...over,
});

export const lifecycleRequest = (serviceId: string, clientId: string, reason = 'overdue') => ({
  serviceId,
  clientId,
  module: 'cpanel',
  reason,
});

export interface PublishedEvent {
  id: string;
  type: string;
  tenantId: string;
  correlationId: string;
  causationId?: string;
  data: Record<string, any>;
}

/** Events the service wrote to its outbox (published by the relay), oldest first. */
export async function outboxEvents(h: Harness, type?: string): Promise<PublishedEvent[]> {
  // under an explicit all-tenants scope: the outbox is under the tenant policy like every tenant table
  const rs = await h.db.withTenant({ kind: 'all' }, (tx) =>
    rows<{ envelope: PublishedEvent }>(
      tx,
      sql`select envelope from outbox ${type ? sql`where type = ${type}` : sql``} order by created_at, id`,
    ),
  );
  return rs.map((r) => r.envelope);
}

/** Waits for a condition (never a fixed sleep): polls until `check` returns a truthy value. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  ms = 15_000,
) {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs the service's job runner until nothing is due and `done` holds. */
export const runJobsUntil = (h: Harness, done: () => Promise<boolean>, what = 'the jobs to settle') =>
  waitFor(async () => {
    await h.running.built.services.runner.runDue();
    return done();
  }, what);
