import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WebhookEndpointDisabled } from '@geminis/contracts';
import { allTenants, tenantScope, type Database, type Logger, type Outbox } from '@geminis/service-kit';
import CircuitBreaker from 'opossum';
import { type WebhooksService } from '../domain/webhooks.service';
import {
  claimDueDeliveries,
  deferDelivery,
  endpointFailed,
  endpointSucceeded,
  findEndpoint,
  recordAttempt,
  type Delivery,
} from '../store/webhooks.store';
import { SIGNATURE_HEADER, signatureHeader } from './signature';
import { isBlockedAddress, type TargetPolicy } from './ssrf';

interface Answer {
  status: number;
}

/**
 * One POST to a tenant's endpoint. The address is checked where the connection is made (the resolver's
 * answer, not only the name registered), so a name that later resolves to a private address is refused;
 * no redirects are followed; the answer's body is not read beyond its status.
 */
export function postSigned(
  url: string,
  body: string,
  headers: Record<string, string>,
  o: { policy: TargetPolicy; timeoutMs: number },
): Promise<Answer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
        timeout: o.timeoutMs,
        lookup: (hostname, options, callback) => {
          dnsLookup(hostname, { ...options, all: true }, (err, list: LookupAddress[]) => {
            if (err) return callback(err, '', 4);
            const bad = !o.policy.allowPrivate && list.some((a) => isBlockedAddress(a.address));
            if (bad || list.length === 0)
              return callback(new Error('refused: the target resolves to a private address'), '', 4);
            if ((options as { all?: boolean }).all)
              return (callback as never as (e: null, a: LookupAddress[]) => void)(null, list);
            return callback(null, list[0]!.address, list[0]!.family);
          });
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${o.timeoutMs} ms`)));
    req.on('error', reject);
    // a literal IP in the URL skips the resolver: check it here
    const host = target.hostname.replace(/^\[|\]$/g, '');
    if (!o.policy.allowPrivate && /^[\d.]+$|:/.test(host) && isBlockedAddress(host)) {
      req.destroy(new Error('refused: the target is a private address'));
      return;
    }
    req.end(body);
  });
}

export interface WebhookDelivererOptions {
  db: Database;
  /** Announces an endpoint disabled after repeated failures (support.webhook_endpoint.disabled.v1). */
  outbox: Pick<Outbox, 'enqueue'>;
  webhooks: Pick<WebhooksService, 'secretsOf'>;
  policy: TargetPolicy;
  /** Failed attempts in a row that disable an endpoint (default 50). */
  failureLimit?: number;
  /** First retry delay; doubles per attempt up to `maxDelayMs`. */
  retryBaseMs?: number;
  maxDelayMs?: number;
  timeoutMs?: number;
  batchSize?: number;
  /**
   * Each endpoint's own breaker (default: opens after 5 attempts at 50 % failures, tries again after 60 s):
   * while open, that endpoint's deliveries wait without a connection attempt and without spending an
   * attempt or counting towards disabling it; other endpoints are not affected.
   */
  breaker?: { volumeThreshold?: number; resetTimeoutMs?: number };
  now?: () => Date;
  logger?: Pick<Logger, 'warn'>;
}

class RefusedAnswer extends Error {
  constructor(readonly status: number) {
    super(`answered ${status}`);
  }
}

/**
 * Sends due webhook deliveries: signed with the endpoint's live secrets at the moment of sending, a 2xx is
 * delivered, anything else is retried with exponential backoff until the delivery's day is over, and an
 * endpoint failing `failureLimit` times in a row is disabled (its pending deliveries wait; re-enabling
 * resumes them) and announced. Endpoints are served side by side (one endpoint's deliveries in order):
 * a slow or dead endpoint never holds another's, and its own breaker stops hammering it.
 */
export function createWebhookDeliverer(o: WebhookDelivererOptions) {
  const now = o.now ?? (() => new Date());
  const failureLimit = o.failureLimit ?? 50;
  const base = o.retryBaseMs ?? 30_000;
  const maxDelay = o.maxDelayMs ?? 2 * 3_600_000;
  const batch = o.batchSize ?? 20;
  const resetTimeoutMs = o.breaker?.resetTimeoutMs ?? 60_000;
  const breakers = new Map<string, CircuitBreaker<[string, string, Record<string, string>], Answer>>();

  const breakerOf = (endpointId: string) => {
    let b = breakers.get(endpointId);
    if (!b) {
      b = new CircuitBreaker(
        async (url: string, body: string, headers: Record<string, string>) => {
          const answer = await postSigned(url, body, headers, {
            policy: o.policy,
            timeoutMs: o.timeoutMs ?? 10_000,
          });
          if (answer.status < 200 || answer.status >= 300) throw new RefusedAnswer(answer.status);
          return answer;
        },
        {
          timeout: false,
          volumeThreshold: o.breaker?.volumeThreshold ?? 5,
          errorThresholdPercentage: 50,
          resetTimeout: resetTimeoutMs,
        },
      );
      breakers.set(endpointId, b);
    }
    return b;
  };

  async function deliverOne(d: Delivery, at: Date): Promise<'delivered' | 'retry' | 'failed'> {
    const scope = tenantScope(d.tenantId);
    const endpoint = await o.db.withTenant(scope, (tx) => findEndpoint(tx, scope, d.endpointId));
    if (!endpoint || endpoint.status !== 'active') return 'retry';
    const breaker = breakerOf(endpoint.id);
    if (breaker.opened) {
      // the endpoint's breaker is open: no connection, no attempt spent, asked again once it half-opens
      await o.db.withTenant(scope, (tx) =>
        deferDelivery(tx, scope, d.id, new Date(at.getTime() + resetTimeoutMs)),
      );
      return 'retry';
    }
    const timestamp = Math.floor(at.getTime() / 1000);
    let statusCode: number | null = null;
    let error: string | null = null;
    try {
      const answer = await breaker.fire(endpoint.url, d.payload, {
        [SIGNATURE_HEADER]: signatureHeader(o.webhooks.secretsOf(endpoint, at), timestamp, d.payload),
        'Geminis-Event-Id': d.eventId,
        'Geminis-Event-Type': d.eventType,
        'Geminis-Delivery-Id': d.id,
        'user-agent': 'Geminis-Webhooks/1',
      });
      statusCode = answer.status;
    } catch (err) {
      if (err instanceof RefusedAnswer) statusCode = err.status;
      error = err instanceof Error ? err.message : String(err);
    }
    const ok = error === null;
    const delay = Math.min(base * 2 ** d.attempts, maxDelay);
    const next = new Date(at.getTime() + delay);
    const retryAt = ok || next > d.giveUpAt ? null : next;
    await o.db.withTenant(scope, async (tx) => {
      await recordAttempt(tx, scope, d.id, { ok, statusCode, error, retryAt, at });
      if (ok) {
        await endpointSucceeded(tx, scope, endpoint.id);
        return;
      }
      const disabled = await endpointFailed(tx, scope, endpoint.id, failureLimit, at);
      if (!disabled) return;
      await o.outbox.enqueue(tx, {
        type: WebhookEndpointDisabled.type,
        tenantId: d.tenantId,
        data: {
          endpointId: endpoint.id,
          consecutiveFailures: disabled.consecutiveFailures,
          lastStatusCode: statusCode,
          reason: disabled.reason,
          disabledAt: at.toISOString(),
        },
      });
      o.logger?.warn({ endpointId: endpoint.id, tenantId: d.tenantId }, 'webhook endpoint disabled');
    });
    return ok ? 'delivered' : retryAt ? 'retry' : 'failed';
  }

  return {
    async drain(at: Date = now()) {
      const counts = { delivered: 0, retry: 0, failed: 0 };
      for (;;) {
        const due = await o.db.withTenant(allTenants, (tx) =>
          claimDueDeliveries(tx, allTenants, at, 5 * 60_000, batch),
        );
        // one queue per endpoint, the queues side by side
        const byEndpoint = new Map<string, Delivery[]>();
        for (const d of due) byEndpoint.set(d.endpointId, [...(byEndpoint.get(d.endpointId) ?? []), d]);
        await Promise.all(
          [...byEndpoint.values()].map(async (queue) => {
            for (const d of queue) counts[await deliverOne(d, at)] += 1;
          }),
        );
        if (due.length < batch) return counts;
      }
    },
    shutdown() {
      for (const b of breakers.values()) b.shutdown();
      breakers.clear();
    },
  };
}

export type WebhookDeliverer = ReturnType<typeof createWebhookDeliverer>;
