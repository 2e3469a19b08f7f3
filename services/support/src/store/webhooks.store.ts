import {
  rows,
  tenantIs,
  writeTenant,
  type SingleTenantScope,
  type TenantScope,
  type Tx,
} from '@geminis/service-kit';
import { sql } from 'drizzle-orm';

export interface Endpoint {
  id: string;
  tenantId: string;
  url: string;
  eventTypes: string[];
  secretSealed: string;
  previousSecretSealed: string | null;
  previousSecretExpiresAt: Date | null;
  status: 'active' | 'disabled';
  disabledReason: string | null;
  disabledAt: Date | null;
  consecutiveFailures: number;
  createdAt: Date;
  updatedAt: Date;
}

interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  event_types: string[];
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  status: 'active' | 'disabled';
  disabled_reason: string | null;
  disabled_at: Date | null;
  consecutive_failures: number;
  created_at: Date;
  updated_at: Date;
}

const toEndpoint = (r: EndpointRow): Endpoint => ({
  id: r.id,
  tenantId: r.tenant_id,
  url: r.url,
  eventTypes: r.event_types,
  secretSealed: r.secret_sealed,
  previousSecretSealed: r.previous_secret_sealed,
  previousSecretExpiresAt: r.previous_secret_expires_at && new Date(r.previous_secret_expires_at),
  status: r.status,
  disabledReason: r.disabled_reason,
  disabledAt: r.disabled_at && new Date(r.disabled_at),
  consecutiveFailures: r.consecutive_failures,
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const textArray = (xs: string[]) =>
  sql`array[${sql.join(
    xs.map((x) => sql`${x}`),
    sql`, `,
  )}]::text[]`;

export async function insertEndpoint(
  tx: Tx,
  scope: SingleTenantScope,
  e: { id: string; url: string; eventTypes: string[]; secretSealed: string },
): Promise<Endpoint> {
  const [row] = await rows<EndpointRow>(
    tx,
    sql`insert into webhook_endpoints (id, tenant_id, url, event_types, secret_sealed, status)
        values (${e.id}, ${writeTenant(scope)}, ${e.url}, ${textArray(e.eventTypes)}, ${e.secretSealed}, 'active')
        returning *`,
  );
  return toEndpoint(row!);
}

export async function listEndpoints(tx: Tx, scope: TenantScope): Promise<Endpoint[]> {
  const found = await rows<EndpointRow>(
    tx,
    sql`select * from webhook_endpoints where ${tenantIs(scope)} order by id`,
  );
  return found.map(toEndpoint);
}

export async function findEndpoint(
  tx: Tx,
  scope: TenantScope,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<Endpoint | undefined> {
  const [row] = await rows<EndpointRow>(
    tx,
    sql`select * from webhook_endpoints where ${tenantIs(scope)} and id = ${id}
        ${opts.forUpdate ? sql`for update` : sql``}`,
  );
  return row && toEndpoint(row);
}

export interface EndpointChange {
  url?: string;
  eventTypes?: string[];
  /** active: re-enabled (failures forgotten); disabled: with a reason. */
  status?: { to: 'active' } | { to: 'disabled'; reason: string };
  secret?: { sealed: string; previousSealed: string | null; previousExpiresAt: Date | null };
}

export async function updateEndpoint(
  tx: Tx,
  scope: TenantScope,
  id: string,
  c: EndpointChange,
): Promise<Endpoint | undefined> {
  const [row] = await rows<EndpointRow>(
    tx,
    sql`update webhook_endpoints set
          url = coalesce(${c.url ?? null}, url),
          event_types = ${c.eventTypes ? textArray(c.eventTypes) : sql`event_types`},
          status = coalesce(${c.status?.to ?? null}, status),
          disabled_reason = ${c.status ? (c.status.to === 'disabled' ? c.status.reason : null) : sql`disabled_reason`},
          disabled_at = ${c.status ? (c.status.to === 'disabled' ? sql`coalesce(disabled_at, clock_timestamp())` : null) : sql`disabled_at`},
          consecutive_failures = ${c.status?.to === 'active' ? 0 : sql`consecutive_failures`},
          secret_sealed = coalesce(${c.secret?.sealed ?? null}, secret_sealed),
          previous_secret_sealed = ${c.secret ? c.secret.previousSealed : sql`previous_secret_sealed`},
          previous_secret_expires_at = ${c.secret ? c.secret.previousExpiresAt : sql`previous_secret_expires_at`},
          updated_at = clock_timestamp()
        where ${tenantIs(scope)} and id = ${id} returning *`,
  );
  return row && toEndpoint(row);
}

export async function deleteEndpoint(tx: Tx, scope: TenantScope, id: string): Promise<boolean> {
  const gone = await rows<{ id: string }>(
    tx,
    sql`delete from webhook_endpoints where ${tenantIs(scope)} and id = ${id} returning id`,
  );
  return gone.length > 0;
}

/** Active endpoints of the tenant subscribed to an event type. */
export async function subscribedEndpoints(
  tx: Tx,
  scope: SingleTenantScope,
  eventType: string,
): Promise<string[]> {
  const found = await rows<{ id: string }>(
    tx,
    sql`select id from webhook_endpoints
        where ${tenantIs(scope)} and status = 'active' and ${eventType} = any(event_types) order by id`,
  );
  return found.map((r) => r.id);
}

/** Queues one delivery of an event to an endpoint; false when it was already queued (a redelivery). */
export async function insertDelivery(
  tx: Tx,
  scope: SingleTenantScope,
  d: {
    id: string;
    endpointId: string;
    eventId: string;
    eventType: string;
    payload: string;
    at: Date;
    giveUpAt: Date;
  },
): Promise<boolean> {
  const made = await rows<{ id: string }>(
    tx,
    sql`insert into webhook_deliveries (id, tenant_id, endpoint_id, event_id, event_type, payload, status,
                                        next_attempt_at, give_up_at, created_at)
        values (${d.id}, ${writeTenant(scope)}, ${d.endpointId}, ${d.eventId}, ${d.eventType}, ${d.payload},
                'pending', ${d.at}, ${d.giveUpAt}, ${d.at})
        on conflict (endpoint_id, event_id) do nothing
        returning id`,
  );
  return made.length > 0;
}

export interface Delivery {
  id: string;
  tenantId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  giveUpAt: Date;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
}

interface DeliveryRow {
  id: string;
  tenant_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: Delivery['status'];
  attempts: number;
  next_attempt_at: Date;
  give_up_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  created_at: Date;
  delivered_at: Date | null;
}

const toDelivery = (r: DeliveryRow): Delivery => ({
  id: r.id,
  tenantId: r.tenant_id,
  endpointId: r.endpoint_id,
  eventId: r.event_id,
  eventType: r.event_type,
  payload: r.payload,
  status: r.status,
  attempts: r.attempts,
  nextAttemptAt: new Date(r.next_attempt_at),
  giveUpAt: new Date(r.give_up_at),
  lastStatusCode: r.last_status_code,
  lastError: r.last_error,
  createdAt: new Date(r.created_at),
  deliveredAt: r.delivered_at && new Date(r.delivered_at),
});

/** Takes due deliveries of active endpoints for a lease (see claimDueMails). */
export async function claimDueDeliveries(
  tx: Tx,
  scope: TenantScope,
  at: Date,
  leaseMs: number,
  limit: number,
): Promise<Delivery[]> {
  const found = await rows<DeliveryRow>(
    tx,
    sql`update webhook_deliveries set next_attempt_at = ${new Date(at.getTime() + leaseMs)}
        where id in (select d.id from webhook_deliveries d
                     join webhook_endpoints e on e.tenant_id = d.tenant_id and e.id = d.endpoint_id
                     where ${tenantIs(scope, sql`d.tenant_id`)} and d.status = 'pending'
                       and d.next_attempt_at <= ${at} and e.status = 'active'
                     order by d.next_attempt_at, d.id limit ${limit} for update of d skip locked)
        returning *`,
  );
  return found.map(toDelivery);
}

export async function recordAttempt(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  r: { ok: boolean; statusCode: number | null; error: string | null; retryAt: Date | null; at: Date },
): Promise<void> {
  await tx.execute(
    sql`update webhook_deliveries set
          attempts = attempts + 1,
          last_status_code = ${r.statusCode},
          last_error = ${r.error?.slice(0, 500) ?? null},
          status = ${r.ok ? 'delivered' : r.retryAt ? 'pending' : 'failed'},
          delivered_at = ${r.ok ? r.at : null},
          next_attempt_at = coalesce(${r.retryAt}, next_attempt_at)
        where ${tenantIs(scope)} and id = ${id} and status = 'pending'`,
  );
}

/** Puts a claimed delivery back to wait until `until` without spending an attempt (its endpoint's breaker is open). */
export async function deferDelivery(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  until: Date,
): Promise<void> {
  await tx.execute(
    sql`update webhook_deliveries set next_attempt_at = ${until}
        where ${tenantIs(scope)} and id = ${id} and status = 'pending'`,
  );
}

/**
 * Counts a failed attempt against the endpoint; disables it at `limit` in a row. Returns the failures in a
 * row when this attempt disabled it, else undefined.
 */
export async function endpointFailed(
  tx: Tx,
  scope: SingleTenantScope,
  id: string,
  limit: number,
  at: Date,
): Promise<{ consecutiveFailures: number; reason: string } | undefined> {
  const reason = `disabled after ${limit} failed deliveries in a row`;
  const [row] = await rows<{ status: string; consecutive_failures: number }>(
    tx,
    sql`update webhook_endpoints set
          consecutive_failures = consecutive_failures + 1,
          status = case when consecutive_failures + 1 >= ${limit} then 'disabled' else status end,
          disabled_reason = case when consecutive_failures + 1 >= ${limit} then ${reason} else disabled_reason end,
          disabled_at = case when consecutive_failures + 1 >= ${limit} then ${at} else disabled_at end,
          updated_at = clock_timestamp()
        where ${tenantIs(scope)} and id = ${id} and status = 'active' returning status, consecutive_failures`,
  );
  return row?.status === 'disabled' ? { consecutiveFailures: row.consecutive_failures, reason } : undefined;
}

export async function endpointSucceeded(tx: Tx, scope: SingleTenantScope, id: string): Promise<void> {
  await tx.execute(
    sql`update webhook_endpoints set consecutive_failures = 0
        where ${tenantIs(scope)} and id = ${id} and consecutive_failures <> 0`,
  );
}

export async function listDeliveries(
  tx: Tx,
  scope: TenantScope,
  endpointId: string,
  q: { before?: string; limit: number },
): Promise<{ items: Delivery[]; more: boolean }> {
  const found = await rows<DeliveryRow>(
    tx,
    sql`select * from webhook_deliveries
        where ${tenantIs(scope)} and endpoint_id = ${endpointId}
          ${q.before ? sql`and id < ${q.before}` : sql``}
        order by id desc limit ${q.limit + 1}`,
  );
  return { items: found.slice(0, q.limit).map(toDelivery), more: found.length > q.limit };
}
