import { type EventEnvelope } from '@geminis/contracts';
import {
  createPurposeCipher,
  newId,
  tenantScope,
  uniqueViolation,
  type AuthContext,
  type Database,
  type Tx,
} from '@geminis/service-kit';
import {
  deleteEndpoint,
  findEndpoint,
  insertDelivery,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  subscribedEndpoints,
  updateEndpoint,
  type Delivery,
  type Endpoint,
  type EndpointChange,
} from '../store/webhooks.store';
import { newWebhookSecret } from '../webhooks/signature';
import { targetProblem, type TargetPolicy } from '../webhooks/ssrf';
import { writeScope } from './context';
import { invalidField, webhookNotFound, webhookUrlTaken } from './errors';

/** The events a tenant may subscribe to: its own business facts, never staff-only words. */
export const WEBHOOK_EVENT_TYPES = [
  'identity.client.created.v1',
  'billing.invoice.issued.v1',
  'billing.invoice.paid.v1',
  'billing.invoice.reminder_due.v1',
  'billing.invoice.late_fee_applied.v1',
  'billing.invoice.auto_charge_failed.v1',
  'provisioning.service.provisioned.v1',
  'provisioning.service.suspended.v1',
  'provisioning.service.unsuspended.v1',
  'provisioning.domain.registered.v1',
  'provisioning.domain.transferred.v1',
  'provisioning.domain.renewed.v1',
  'support.ticket.opened.v1',
  'support.ticket.replied.v1',
] as const;

const DAY_MS = 86_400_000;
const SECRET = 'webhook.secret';

export interface WebhookInput {
  url: string;
  eventTypes: string[];
}
export interface WebhookPatch {
  url?: string | undefined;
  eventTypes?: string[] | undefined;
  enabled?: boolean | undefined;
}

/**
 * Tenants' outbound webhooks: endpoints (HTTPS, never a private address), their signing secrets (shown
 * once, sealed at rest, rotated with a day of overlap), the fan-out of events into durable deliveries,
 * and the delivery log.
 */
export function createWebhooksService(deps: {
  db: Database;
  encryptionKey: string;
  policy: TargetPolicy;
  /** How long a delivery is retried (default a day). */
  retryForMs?: number;
  now?: () => Date;
}) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const cipher = createPurposeCipher<typeof SECRET>(deps.encryptionKey, 'geminis.support');
  const retryForMs = deps.retryForMs ?? DAY_MS;

  async function checkUrl(url: string) {
    const problem = await targetProblem(url, deps.policy);
    if (problem) throw invalidField('support.webhook_url_refused', 'url', problem);
  }
  const checkTypes = (types: string[]) => {
    const unknown = types.find((t) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(t));
    if (unknown)
      throw invalidField(
        'support.webhook_event_unknown',
        'eventTypes',
        `not a subscribable event: ${unknown}`,
      );
  };
  const taken = (err: unknown) => (uniqueViolation(err) ? webhookUrlTaken() : err);

  /** The secrets that sign now: the current one, and the previous one until it expires. */
  const secretsOf = (e: Endpoint, at: Date): string[] => [
    cipher.open(SECRET, e.secretSealed),
    ...(e.previousSecretSealed && e.previousSecretExpiresAt && e.previousSecretExpiresAt > at
      ? [cipher.open(SECRET, e.previousSecretSealed)]
      : []),
  ];

  return {
    secretsOf,

    async list(auth: AuthContext, tenantId?: string): Promise<Endpoint[]> {
      const scope = writeScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listEndpoints(tx, scope));
    },

    async get(auth: AuthContext, id: string, tenantId?: string): Promise<Endpoint> {
      const scope = writeScope(auth, tenantId);
      const e = await db.withTenant(scope, (tx) => findEndpoint(tx, scope, id));
      if (!e) throw webhookNotFound();
      return e;
    },

    /** Registers an endpoint; the secret is in this answer only. */
    async create(auth: AuthContext, input: WebhookInput, tenantId?: string) {
      checkTypes(input.eventTypes);
      await checkUrl(input.url);
      const scope = writeScope(auth, tenantId);
      const secret = newWebhookSecret();
      try {
        const endpoint = await db.withTenant(scope, (tx) =>
          insertEndpoint(tx, scope, {
            id: newId(),
            url: input.url,
            eventTypes: [...new Set(input.eventTypes)],
            secretSealed: cipher.seal(SECRET, secret),
          }),
        );
        return { endpoint, secret };
      } catch (err) {
        throw taken(err);
      }
    },

    async update(auth: AuthContext, id: string, patch: WebhookPatch, tenantId?: string): Promise<Endpoint> {
      if (patch.eventTypes) checkTypes(patch.eventTypes);
      if (patch.url) await checkUrl(patch.url);
      const scope = writeScope(auth, tenantId);
      const change: EndpointChange = {
        ...(patch.url ? { url: patch.url } : {}),
        ...(patch.eventTypes ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
        ...(patch.enabled === true ? { status: { to: 'active' as const } } : {}),
        ...(patch.enabled === false
          ? { status: { to: 'disabled' as const, reason: 'disabled by staff' } }
          : {}),
      };
      try {
        const e = await db.withTenant(scope, (tx) => updateEndpoint(tx, scope, id, change));
        if (!e) throw webhookNotFound();
        return e;
      } catch (err) {
        throw taken(err);
      }
    },

    /** A new secret; the old one keeps signing (a second v1) for a day so receivers can switch. */
    async rotateSecret(auth: AuthContext, id: string, tenantId?: string) {
      const scope = writeScope(auth, tenantId);
      const secret = newWebhookSecret();
      const at = now();
      const endpoint = await db.withTenant(scope, async (tx) => {
        const e = await findEndpoint(tx, scope, id, { forUpdate: true });
        if (!e) throw webhookNotFound();
        return updateEndpoint(tx, scope, id, {
          secret: {
            sealed: cipher.seal(SECRET, secret),
            previousSealed: e.secretSealed,
            previousExpiresAt: new Date(at.getTime() + DAY_MS),
          },
        });
      });
      return { endpoint: endpoint!, secret };
    },

    async remove(auth: AuthContext, id: string, tenantId?: string): Promise<void> {
      const scope = writeScope(auth, tenantId);
      if (!(await db.withTenant(scope, (tx) => deleteEndpoint(tx, scope, id)))) throw webhookNotFound();
    },

    async deliveries(
      auth: AuthContext,
      id: string,
      q: { cursor?: string | undefined; limit: number; tenantId?: string | undefined },
    ): Promise<{ items: Delivery[]; nextCursor: string | null }> {
      const scope = writeScope(auth, q.tenantId);
      const page = await db.withTenant(scope, async (tx) => {
        if (!(await findEndpoint(tx, scope, id))) throw webhookNotFound();
        return listDeliveries(tx, scope, id, { ...(q.cursor ? { before: q.cursor } : {}), limit: q.limit });
      });
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? last.id : null };
    },

    /**
     * In an event's inbox transaction: one delivery per subscribed endpoint of the event's own tenant.
     * The body is fixed now (what is signed and sent on every attempt).
     */
    async fanOut(tx: Tx, event: EventEnvelope<unknown>): Promise<void> {
      if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event.type)) return;
      const scope = tenantScope(event.tenantId);
      const endpoints = await subscribedEndpoints(tx, scope, event.type);
      if (endpoints.length === 0) return;
      const at = now();
      const payload = JSON.stringify({
        id: event.id,
        type: event.type,
        createdAt: event.time,
        tenantId: event.tenantId,
        data: event.data,
      });
      for (const endpointId of endpoints)
        await insertDelivery(tx, scope, {
          id: newId(),
          endpointId,
          eventId: event.id,
          eventType: event.type,
          payload,
          at,
          giveUpAt: new Date(at.getTime() + retryForMs),
        });
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
