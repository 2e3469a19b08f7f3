import {
  DomainExpiryChanged,
  DomainRegistered,
  DomainRegistrationFailed,
  DomainRenewed,
  DomainTransferred,
  PLATFORM_TENANT_ID,
  type RegistrantContact,
} from '@geminis/contracts';
import { allTenants, tenantScope, type Database, type Outbox, type Tx } from '@geminis/service-kit';
import { type Cipher } from '../domain/crypto';
import { connectionById } from '../domain/registrar-accounts.service';
import { PanelError } from '../modules/panel';
import { type DnsRecord, type RegistrarAdapter, type RegistrarDomain } from '../registrars/registrar';
import { type Registrars } from '../registrars/registrars';
import { saveDomainJobState, type DomainJob } from '../store/domain-jobs.store';
import {
  findDomain,
  heldByAnother,
  lockDomain,
  updateDomain,
  type DomainRecord,
} from '../store/domains.store';
import { markCallbackApplied } from '../store/registrar-callbacks.store';
import { accountForTld } from '../store/registrar-accounts.store';
import { causedBy, JobFailure, type Completion } from './job-context';

export interface DomainJobDeps {
  db: Database;
  outbox: Outbox;
  cipher: Cipher;
  registrars: Registrars;
  /** How long a pending transfer waits between two status reads. */
  transferPollMs: number;
}

/** What a step gives back: its commit (state change + events), or "ask again later" (a pending transfer). */
export type StepResult = { done: Completion } | { poll: true };

const DAY_MS = 86_400_000;

/** `expiresAt` moved by `years` (a renewal's target). */
export function plusYears(iso: string, years: number): string {
  const d = new Date(iso);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString();
}

/** Same day (registrars keep their own time of day). */
const sameDay = (a: string | null, b: string | null) =>
  a !== null && b !== null && Math.abs(new Date(a).getTime() - new Date(b).getTime()) < DAY_MS;

interface Ctx {
  deps: DomainJobDeps;
  job: DomainJob;
  domain: DomainRecord;
  adapter: RegistrarAdapter;
  registrar: NonNullable<DomainRecord['registrar']>;
}

async function domainOf(deps: DomainJobDeps, job: DomainJob): Promise<DomainRecord> {
  const scope = tenantScope(job.tenantId);
  const d = await deps.db.withTenant(scope, (tx) => findDomain(tx, scope, job.domainId));
  if (!d) throw new JobFailure('the domain is gone', false);
  return d;
}

/** The domain's registrar account (chosen now from the TLD defaults if it has none yet) and its adapter. */
async function contextOf(deps: DomainJobDeps, job: DomainJob): Promise<Ctx> {
  let domain = await domainOf(deps, job);
  if (!domain.accountId) {
    const chosen = await deps.db.withTenant(allTenants, (tx) =>
      accountForTld(tx, domain.tenantId, PLATFORM_TENANT_ID, domain.tld),
    );
    if (!chosen) throw new JobFailure(`no registrar account is set for ${domain.tld}`, true);
    const found = await connectionById(deps.db, deps.cipher, chosen.accountId);
    if (!found) throw new JobFailure(`no registrar account is set for ${domain.tld}`, true);
    const scope = tenantScope(job.tenantId);
    await deps.db.withTenant(scope, (tx) =>
      updateDomain(tx, scope, domain.id, { accountId: chosen.accountId, registrar: found.account.registrar }),
    );
    domain = { ...domain, accountId: chosen.accountId, registrar: found.account.registrar };
  }
  const found = await connectionById(deps.db, deps.cipher, domain.accountId!);
  if (!found) throw new JobFailure('the registrar account of the domain is gone', true);
  if (!found.account.enabled) throw new PanelError('unavailable', 'the registrar account is disabled');
  return {
    deps,
    job,
    domain,
    adapter: deps.registrars.adapterFor(found.conn),
    registrar: found.account.registrar,
  };
}

/** Re-reads and locks the domain inside the job's commit: a completion applies once whatever raced it. */
async function lockedDomain(tx: Tx, job: DomainJob) {
  return lockDomain(tx, tenantScope(job.tenantId), job.domainId);
}

const factsOf = (info: RegistrarDomain) => ({
  expiresAt: info.expiresAt,
  ...(info.ref ? { registrarRef: info.ref } : {}),
  ...(info.nameservers.length ? { nameservers: info.nameservers } : {}),
  ...(info.locked !== null ? { locked: info.locked } : {}),
  ...(info.privacy !== null ? { privacy: info.privacy } : {}),
});

/** A registration or transfer that ended with the domain ours: the row and the event, once. */
function becameActive(
  c: Ctx,
  info: RegistrarDomain | null,
  fallbackExpiry: string,
  kind: 'registered' | 'transferred',
): Completion {
  return async (tx) => {
    const scope = tenantScope(c.job.tenantId);
    const current = await lockedDomain(tx, c.job);
    if (!current || current.status === 'active') return;
    const expiresAt = info?.expiresAt ?? fallbackExpiry;
    await updateDomain(tx, scope, c.domain.id, {
      ...(info ? factsOf(info) : {}),
      status: 'active',
      expiresAt,
      drift: null,
    });
    await c.deps.outbox.enqueue(tx, {
      type: kind === 'registered' ? DomainRegistered.type : DomainTransferred.type,
      tenantId: c.job.tenantId,
      ...causedBy({ correlationId: c.job.correlationId, eventId: c.job.eventId ?? c.job.id }),
      data: {
        domainServiceId: c.domain.domainServiceId,
        domain: c.domain.domain,
        expiresAt,
        registrar: c.registrar,
      },
    });
  };
}

interface RegistrationRequest {
  years: number;
  nameservers: string[];
  privacy: boolean;
  registrant: RegistrantContact;
  eppCode?: string;
}

/** Runs a mutation; when it times out, reads state instead of trying again (it may have happened). */
async function mutateThenRead<T>(
  call: () => Promise<T>,
  read: () => Promise<boolean>,
): Promise<{ result?: T; happened: boolean }> {
  try {
    return { result: await call(), happened: true };
  } catch (err) {
    if (err instanceof PanelError && err.kind === 'timeout' && (await read().catch(() => false)))
      return { happened: true };
    throw err;
  }
}

async function registerStep(c: Ctx): Promise<StepResult> {
  const { domain, adapter, job, deps } = c;
  if (domain.status === 'active') return { done: async () => undefined };
  const r = job.request as unknown as RegistrationRequest;
  const fallback = plusYears(new Date().toISOString(), r.years);
  // Ours already (an earlier attempt that timed out, or a redelivered request): adopt it, never register twice.
  const before = await adapter.info(domain.domain, domain.registrarRef);
  // …unless another domain service holds it: then it is not this order's to adopt.
  if (before && (await deps.db.withTenant(allTenants, (tx) => heldByAnother(tx, domain.domain, domain.id))))
    throw new JobFailure(`${domain.domain} is already registered for another domain service`, false);
  if (before)
    return settled(before) ? { done: becameActive(c, before, fallback, 'registered') } : { poll: true };
  await mutateThenRead(
    () => adapter.register({ domain: domain.domain, ...r }),
    async () => (await adapter.info(domain.domain)) !== null,
  );
  // Registered (or found after a timeout); an order the registry has not completed yet is polled.
  const after = await adapter.info(domain.domain).catch(() => null);
  if (after && !settled(after)) return { poll: true };
  return { done: becameActive(c, after, fallback, 'registered') };
}

const settled = (info: RegistrarDomain) => info.status === 'active' || info.status === 'expired';

async function transferStep(c: Ctx): Promise<StepResult> {
  const { domain, adapter, job, deps } = c;
  if (domain.status === 'active' || domain.status === 'failed' || domain.status === 'cancelled')
    return { done: async () => undefined }; // a callback settled it first
  const { eppCodeSealed, ...request } = job.request as unknown as RegistrationRequest & {
    eppCodeSealed: string;
  };
  const r = { ...request, eppCode: deps.cipher.open('epp-codes', eppCodeSealed) };
  const scope = tenantScope(job.tenantId);
  let transferRef = (job.state.transferRef as string | null | undefined) ?? domain.transferRef;
  if (!job.state.submitted) {
    const before = await adapter.info(domain.domain, domain.registrarRef);
    if (before && before.status === 'active')
      return { done: becameActive(c, before, plus1(), 'transferred') };
    // The registrar already has a live transfer of it (an earlier attempt that timed out): don't order again.
    const known = async () => {
      try {
        const s = await adapter.transferStatus(domain.domain, transferRef ?? null);
        return s === 'pending' || s === 'completed';
      } catch (err) {
        if (err instanceof PanelError && (err.kind === 'not_found' || err.kind === 'rejected')) return false;
        throw err;
      }
    };
    if (!(await known())) {
      const { result } = await mutateThenRead(() => adapter.transfer({ domain: domain.domain, ...r }), known);
      transferRef = result?.transferRef ?? transferRef ?? null;
    }
    await deps.db.withTenant(scope, async (tx) => {
      await saveDomainJobState(tx, scope, job, { submitted: true, transferRef });
      await updateDomain(tx, scope, domain.id, { transferRef, status: 'transfer_pending' });
    });
  }
  const state = await adapter.transferStatus(domain.domain, transferRef ?? null);
  if (state === 'pending') return { poll: true };
  if (state === 'completed') {
    const info = await adapter.info(domain.domain).catch(() => null);
    return { done: becameActive(c, info, plus1(), 'transferred') };
  }
  throw new JobFailure(`the transfer was ${state} at the registrar`, false);
}
const plus1 = () => plusYears(new Date().toISOString(), 1);

async function renewStep(c: Ctx): Promise<StepResult> {
  const { domain, adapter, job, deps } = c;
  if (domain.status !== 'active' && domain.status !== 'expired')
    throw new JobFailure(`a domain that is ${domain.status} cannot be renewed`, domain.status === 'pending');
  const years = (job.request as { years: number }).years;
  const scope = tenantScope(job.tenantId);
  const info = await adapter.info(domain.domain, domain.registrarRef);
  if (!info?.expiresAt) throw new PanelError('not_found', 'the registrar does not hold this domain');
  // The expiry read before the first renewal call is remembered: a retry compares with its target, so a
  // renewal that happened (and timed out) is never made a second time.
  let target = job.state.targetExpiresAt as string | undefined;
  if (!target) {
    target = plusYears(info.expiresAt, years);
    const saved = await deps.db.withTenant(scope, (tx) =>
      saveDomainJobState(tx, scope, job, { baseExpiresAt: info.expiresAt, targetExpiresAt: target }),
    );
    if (!saved) throw new PanelError('unavailable', 'the job was taken over');
  }
  const reached = (e: string | null | undefined) =>
    !!e && new Date(e).getTime() >= new Date(target).getTime() - DAY_MS;
  let after: RegistrarDomain | null = info;
  if (!reached(info.expiresAt)) {
    await mutateThenRead(
      () => adapter.renew(domain.domain, info.ref ?? domain.registrarRef, years, info.expiresAt!),
      async () => reached((after = await adapter.info(domain.domain, domain.registrarRef))?.expiresAt),
    );
    after = await adapter.info(domain.domain, domain.registrarRef).catch(() => null);
  }
  const expiresAt = after?.expiresAt && reached(after.expiresAt) ? after.expiresAt : target;
  return {
    done: async (tx) => {
      await updateDomain(tx, scope, domain.id, { expiresAt, status: 'active', drift: null });
      await deps.outbox.enqueue(tx, {
        type: DomainRenewed.type,
        tenantId: job.tenantId,
        ...causedBy({ correlationId: job.correlationId, eventId: job.eventId ?? job.id }),
        data: {
          domainServiceId: domain.domainServiceId,
          domain: domain.domain,
          expiresAt,
          registrar: c.registrar,
        },
      });
    },
  };
}

async function changeStep(c: Ctx): Promise<StepResult> {
  const { domain, adapter, job } = c;
  if (domain.status !== 'active') throw new JobFailure(`the domain is ${domain.status}, not active`, true);
  const scope = tenantScope(job.tenantId);
  const ref = domain.registrarRef;
  if (job.action === 'nameservers') {
    const { nameservers } = job.request as { nameservers: string[] };
    await adapter.setNameservers(domain.domain, ref, nameservers);
    return { done: (tx) => updateDomain(tx, scope, domain.id, { nameservers }) };
  }
  if (job.action === 'contacts') {
    const { contact } = job.request as { contact: RegistrantContact };
    await adapter.setContacts(domain.domain, ref, contact);
    return { done: (tx) => updateDomain(tx, scope, domain.id, { registrant: contact }) };
  }
  if (job.action === 'child_host') {
    const { hostname, ips } = job.request as { hostname: string; ips: string[] };
    await adapter.setChildHost(domain.domain, ref, hostname, ips);
    return { done: async () => undefined };
  }
  if (job.action === 'dns') {
    const { records } = job.request as { records: DnsRecord[] };
    await adapter.setDnsRecords(domain.domain, ref, records);
    return { done: async () => undefined };
  }
  // Lock and privacy: read first, change only what differs.
  const info = await adapter.info(domain.domain, ref);
  if (job.action === 'lock') {
    const { locked } = job.request as { locked: boolean };
    if (info?.locked !== locked) await adapter.setLock(domain.domain, ref, locked);
    return { done: (tx) => updateDomain(tx, scope, domain.id, { locked }) };
  }
  const { enabled } = job.request as { enabled: boolean };
  if (info?.privacy !== enabled) await adapter.setPrivacy(domain.domain, ref, enabled);
  return { done: (tx) => updateDomain(tx, scope, domain.id, { privacy: enabled }) };
}

/** Emits expiry_changed when the registrar's expiry is not the one we knew; the domain row follows it. */
export async function applyExpiry(
  tx: Tx,
  outbox: Outbox,
  domain: DomainRecord,
  expiresAt: string,
  cause: { correlationId?: string; causationId?: string } = {},
): Promise<boolean> {
  if (sameDay(domain.expiresAt, expiresAt)) return false;
  await updateDomain(tx, tenantScope(domain.tenantId), domain.id, { expiresAt });
  await outbox.enqueue(tx, {
    type: DomainExpiryChanged.type,
    tenantId: domain.tenantId,
    ...cause,
    data: {
      domainServiceId: domain.domainServiceId,
      domain: domain.domain,
      expiresAt,
      previousExpiresAt: domain.expiresAt,
    },
  });
  return true;
}

/**
 * A registrar's callback, applied in a job: the transfer status it carries (Name.com's
 * `domain.transfer.status_change`), otherwise a fresh read of the domain (its expiry above all).
 */
async function callbackStep(c: Ctx): Promise<StepResult> {
  const { domain, adapter, job, deps } = c;
  const { callbackId, transferStatus } = job.request as { callbackId: string; transferStatus?: string };
  const scope = tenantScope(job.tenantId);
  const markApplied = (tx: Tx) => markCallbackApplied(tx, scope, callbackId);
  if (transferStatus && domain.status === 'transfer_pending') {
    if (transferStatus === 'completed') {
      const info = await adapter.info(domain.domain).catch(() => null);
      const activate = becameActive(c, info, plus1(), 'transferred');
      return { done: async (tx) => (await activate(tx), await markApplied(tx)) };
    }
    if (transferStatus === 'failed' || transferStatus === 'cancelled') {
      return {
        done: async (tx) => {
          await failDomain(
            tx,
            deps.outbox,
            job,
            domain,
            `the transfer was ${transferStatus} at the registrar`,
          );
          await markApplied(tx);
        },
      };
    }
    return { done: markApplied };
  }
  const info = await adapter.info(domain.domain, domain.registrarRef);
  return {
    done: async (tx) => {
      const current = await lockedDomain(tx, job);
      if (current && info?.expiresAt && current.status === 'active')
        await applyExpiry(tx, deps.outbox, current, info.expiresAt);
      await markApplied(tx);
    },
  };
}

export const DOMAIN_STEPS: Record<DomainJob['action'], (c: Ctx) => Promise<StepResult>> = {
  register: registerStep,
  transfer: transferStep,
  renew: renewStep,
  nameservers: changeStep,
  lock: changeStep,
  privacy: changeStep,
  contacts: changeStep,
  child_host: changeStep,
  dns: changeStep,
  callback: callbackStep,
};

export async function runDomainStep(deps: DomainJobDeps, job: DomainJob): Promise<StepResult> {
  return DOMAIN_STEPS[job.action](await contextOf(deps, job));
}

/** A registration or transfer that will not happen: the domain failed, and billing is told once. */
export async function failDomain(
  tx: Tx,
  outbox: Outbox,
  job: DomainJob,
  domain: DomainRecord,
  reason: string,
) {
  const current = await lockedDomain(tx, job);
  if (!current || current.status === 'active' || current.status === 'failed') return;
  await updateDomain(tx, tenantScope(job.tenantId), domain.id, { status: 'failed' });
  await outbox.enqueue(tx, {
    type: DomainRegistrationFailed.type,
    tenantId: job.tenantId,
    ...causedBy({ correlationId: job.correlationId, eventId: job.eventId ?? job.id }),
    data: { domainServiceId: domain.domainServiceId, domain: domain.domain, reason: reason.slice(0, 1000) },
  });
}
