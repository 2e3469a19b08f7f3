import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { Domain, RegistrarKind } from '@geminis/contracts';
import {
  allTenants,
  newId,
  NotFoundError,
  tenantScope,
  type Database,
  type KitLogger,
} from '@geminis/service-kit';
import { namecomTransferState } from '../registrars/namecom.adapter';
import { scalar, type RegistrarCredentials } from '../registrars/registrar';
import { recordDomainJob } from '../store/domain-jobs.store';
import { findDomainOfAccount } from '../store/domains.store';
import { notifyRunners } from '../store/jobs.store';
import { recordCallback } from '../store/registrar-callbacks.store';
import { findAccountAnyTenant } from '../store/registrar-accounts.store';
import { type Cipher } from './crypto';

/** Name.com: how old (or how far in the future) a signed timestamp may be. */
export const SIGNATURE_WINDOW_S = 300;

/** Every refusal is this one answer: a caller learns nothing about accounts, domains or secrets. */
const refused = () => new NotFoundError('provisioning.callback_refused', 'callback not accepted');

class Refusal extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const hmacHex = (secret: string, data: Buffer) => createHmac('sha256', secret).update(data).digest('hex');

function sameHex(expected: string, given: string): boolean {
  if (!/^[0-9a-f]+$/i.test(given) || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given.toLowerCase(), 'hex'));
}

/**
 * Name.com's scheme (providers.md §4): `X-NAMECOM-SIGNATURE: sha256=<hex>,<unix-ts>,<uuid-nonce>`, the
 * HMAC-SHA256 under the account's API token of `<webhook URL>|<body>` — the body's exact bytes as they
 * arrived (Name.com sends its JSON with sorted keys; we never re-serialize: a body parsed and written again
 * does not verify). The timestamp must be within 300 s either way; the nonce is remembered (a replay is
 * refused).
 */
export function verifyNamecom(
  header: string | undefined,
  raw: Buffer,
  webhookUrl: string | null,
  token: string,
  nowS: number,
): { nonce: string } {
  const m = /^sha256=([0-9a-fA-F]{64}),(\d{1,12}),([0-9a-fA-F-]{36})$/.exec(header?.trim() ?? '');
  if (!m || !webhookUrl) throw new Refusal('malformed or missing signature header');
  const [, signature, ts, nonce] = m;
  if (!UUID.test(nonce!)) throw new Refusal('malformed nonce');
  if (Math.abs(nowS - Number(ts)) > SIGNATURE_WINDOW_S) throw new Refusal('timestamp outside the window');
  const expected = hmacHex(token, Buffer.concat([Buffer.from(`${webhookUrl}|`, 'utf8'), raw]));
  if (!sameHex(expected, signature!)) throw new Refusal('signature mismatch');
  return { nonce: nonce!.toLowerCase() };
}

/** The generic scheme for other pushing registrars: `X-Signature: sha256=<hex>` of the raw body. */
export function verifyGeneric(header: string | undefined, raw: Buffer, secret: string | undefined) {
  const given = header?.trim().replace(/^sha256=/, '') ?? '';
  if (!secret || !given) throw new Refusal('missing signature or secret');
  if (!sameHex(hmacHex(secret, raw), given)) throw new Refusal('signature mismatch');
}

/**
 * Registrar callbacks: verified, recorded and acknowledged fast; applied later by a `callback` job, once
 * (inbox by nonce or event id). Anything refused answers the same 404 as an account that does not exist;
 * what was refused and why is recorded in the account's tenant when the account exists, logged otherwise.
 */
export function createCallbacksService(deps: {
  db: Database;
  cipher: Cipher;
  logger: KitLogger;
  maxAttempts: number;
  now?: () => number;
}) {
  const log = deps.logger.child({ component: 'registrar-callbacks' });
  const now = deps.now ?? Date.now;

  return {
    async receive(
      registrarParam: string,
      accountParam: string,
      raw: unknown,
      headers: Record<string, string | string[] | undefined>,
    ): Promise<{ received: true; duplicate: boolean }> {
      const header = (name: string) => {
        const v = headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const registrar = RegistrarKind.safeParse(registrarParam);
      if (!registrar.success || !UUID.test(accountParam) || !Buffer.isBuffer(raw)) {
        log.warn({ registrar: registrarParam }, 'callback refused: unknown registrar or account');
        throw refused();
      }
      const found = await deps.db.withTenant(allTenants, (tx) => findAccountAnyTenant(tx, accountParam));
      if (!found || found.account.registrar !== registrar.data || !found.account.enabled) {
        log.warn({ registrar: registrar.data, accountId: accountParam }, 'callback refused: unknown account');
        throw refused();
      }
      const { account } = found;
      const scope = tenantScope(account.tenantId);
      const creds = JSON.parse(
        deps.cipher.open('registrar-credentials', found.sealed),
      ) as RegistrarCredentials & {
        token?: string;
        webhookSecret?: string;
      };
      const body = raw.toString('utf8').slice(0, 100_000);
      const record = (
        status: 'accepted' | 'refused',
        reason: string | null,
        domain: string | null,
        key: string | null,
      ) =>
        deps.db.withTenant(scope, (tx) =>
          recordCallback(tx, scope, {
            id: newId(),
            accountId: account.id,
            dedupeKey: key,
            status,
            reason,
            domain,
            body,
          }),
        );
      const refuse = async (reason: string, domain: string | null = null): Promise<never> => {
        await record('refused', reason, domain, null);
        log.warn({ accountId: account.id, reason }, 'callback refused');
        throw refused();
      };

      let dedupeKey: string;
      try {
        if (account.registrar === 'namecom') {
          const { nonce } = verifyNamecom(
            header('x-namecom-signature'),
            raw,
            account.webhookUrl,
            creds.token ?? '',
            Math.floor(now() / 1000),
          );
          dedupeKey = `nonce:${nonce}`;
        } else {
          verifyGeneric(header('x-signature'), raw, creds.webhookSecret);
          dedupeKey = '';
        }
      } catch (err) {
        if (err instanceof Refusal) return refuse(err.message);
        throw err;
      }

      let payload: Record<string, unknown>;
      try {
        payload = JSON.parse(body) as Record<string, unknown>;
        if (!payload || typeof payload !== 'object' || Array.isArray(payload))
          throw new Error('not an object');
      } catch {
        return refuse('the body is not a JSON object');
      }
      if (!dedupeKey) {
        const eventId = header('x-event-id') ?? payload.eventId ?? payload.id;
        dedupeKey =
          typeof eventId === 'string' || typeof eventId === 'number'
            ? `event:${String(eventId).slice(0, 200)}`
            : `body:${createHash('sha256').update(raw).digest('hex')}`;
      }
      const name = Domain.safeParse(scalar(payload.domainName ?? payload.domain).toLowerCase());
      if (!name.success) return refuse('no domain named');

      const outcome = await deps.db.withTenant(scope, async (tx) => {
        const domain = await findDomainOfAccount(tx, scope, account.id, name.data);
        if (!domain) return 'unknown' as const;
        const id = newId();
        const fresh = await recordCallback(tx, scope, {
          id,
          accountId: account.id,
          dedupeKey,
          status: 'accepted',
          reason: null,
          domain: name.data,
          body,
        });
        if (!fresh) return 'duplicate' as const;
        const status = typeof payload.status === 'string' ? namecomTransferState(payload.status) : undefined;
        const isTransfer = scalar(payload.eventName ?? payload.event).includes('transfer');
        await recordDomainJob(
          tx,
          scope,
          {
            id: newId(),
            domainId: domain.id,
            action: 'callback',
            requestKey: id,
            request: { callbackId: id, ...(isTransfer && status ? { transferStatus: status } : {}) },
            eventId: null,
            correlationId: null,
            maxAttempts: deps.maxAttempts,
          },
          false,
        );
        await notifyRunners(tx);
        return 'accepted' as const;
      });
      if (outcome === 'unknown') return refuse('unknown domain for this account', name.data);
      if (outcome === 'duplicate') {
        // A replayed Name.com nonce is refused; a redelivered event of the generic scheme is acknowledged.
        if (dedupeKey.startsWith('nonce:')) return refuse('replayed nonce', name.data);
        return { received: true, duplicate: true };
      }
      return { received: true, duplicate: false };
    },
  };
}

export type CallbacksService = ReturnType<typeof createCallbacksService>;
