import { type DomainJobAction } from '@geminis/contracts';
import {
  ConflictError,
  newId,
  tenantScope,
  UnavailableError,
  type AuthContext,
  type Database,
} from '@geminis/service-kit';
import { isPanelError } from '../modules/panel';
import { type Registrars } from '../registrars/registrars';
import {
  findDomainJob,
  listDomainJobs,
  rearmFailedDomainJob,
  recordDomainJob,
  type DomainJobStatus,
} from '../store/domain-jobs.store';
import { findDomain, listDomains, type DomainRecord } from '../store/domains.store';
import { notifyRunners } from '../store/jobs.store';
import { readScope } from './context';
import { type Cipher } from './crypto';
import { domainJobNotFound, domainNotFound, invalidField } from './errors';
import { connectionById } from './registrar-accounts.service';

/** A registrar's failure on a synchronous read: try again later (503), or what it refused (409). */
function registrarProblem(err: unknown, code = 'provisioning.registrar_refused'): unknown {
  if (!isPanelError(err)) return err;
  if (err.retryable)
    return new UnavailableError(
      'provisioning.registrar_unavailable',
      'the registrar did not answer; try again',
      {
        retryAfterSeconds: 60,
      },
    );
  return new ConflictError(code, err.message);
}

/** A client sees its own domains only; staff their tenant's (admins every tenant's, or one). */
const ownerFilter = (auth: AuthContext) => (auth.role === 'client' ? auth.userId : undefined);

/** Domains as clients and staff use them: read, change nameservers, lock and privacy, get the EPP code. */
export function createDomainsService(deps: {
  db: Database;
  cipher: Cipher;
  registrars: Registrars;
  maxAttempts: number;
}) {
  const { db } = deps;

  async function domainFor(auth: AuthContext, id: string, tenantId?: string): Promise<DomainRecord> {
    const scope = readScope(auth, tenantId);
    const d = await db.withTenant(scope, (tx) => findDomain(tx, scope, id, ownerFilter(auth)));
    if (!d) throw domainNotFound();
    return d;
  }

  const mustBeActive = (d: DomainRecord) => {
    if (d.status !== 'active')
      throw new ConflictError('provisioning.domain_not_active', `the domain is ${d.status}, not active`);
  };

  return {
    async list(auth: AuthContext, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, (tx) => listDomains(tx, scope, ownerFilter(auth)));
    },
    get: domainFor,

    /**
     * A change at the registrar (nameservers, lock, privacy) as a durable job, one per domain and action:
     * a newer request replaces one still waiting. Answered at once; the job applies it.
     */
    async requestChange(
      auth: AuthContext,
      id: string,
      action: Extract<
        DomainJobAction,
        'nameservers' | 'lock' | 'privacy' | 'contacts' | 'child_host' | 'dns'
      >,
      request: Record<string, unknown>,
      tenantId?: string,
    ) {
      const d = await domainFor(auth, id, tenantId);
      mustBeActive(d);
      const hostname = action === 'child_host' ? String(request.hostname) : null;
      // A private nameserver is a host of the domain itself (ns1.example.com for example.com).
      if (hostname !== null && !hostname.endsWith(`.${d.domain}`))
        throw invalidField('provisioning.invalid_child_host', 'hostname', `must be a host under ${d.domain}`);
      const scope = tenantScope(d.tenantId);
      return db.withTenant(scope, async (tx) => {
        const jobId = newId();
        const job = await recordDomainJob(
          tx,
          scope,
          {
            id: jobId,
            domainId: d.id,
            action,
            requestKey: hostname === null ? action : `${action}:${hostname}`,
            request,
            eventId: null,
            correlationId: null,
            maxAttempts: deps.maxAttempts,
          },
          true,
        );
        await notifyRunners(tx);
        return job;
      });
    },

    /** The records of the registrar's DNS for the domain, read now. */
    async dnsRecords(auth: AuthContext, id: string, tenantId?: string) {
      const d = await domainFor(auth, id, tenantId);
      mustBeActive(d);
      const found = d.accountId ? await connectionById(db, deps.cipher, d.accountId) : null;
      if (!found)
        throw new ConflictError('provisioning.domain_not_active', 'the domain has no registrar account');
      try {
        return await deps.registrars.adapterFor(found.conn).dnsRecords(d.domain, d.registrarRef);
      } catch (err) {
        throw registrarProblem(err);
      }
    },

    /** The transfer-out code, read from the registrar now (a read: nothing to repeat, nothing stored). */
    async eppCode(auth: AuthContext, id: string, tenantId?: string) {
      const d = await domainFor(auth, id, tenantId);
      mustBeActive(d);
      const found = d.accountId ? await connectionById(db, deps.cipher, d.accountId) : null;
      if (!found)
        throw new ConflictError('provisioning.domain_not_active', 'the domain has no registrar account');
      try {
        const eppCode = await deps.registrars.adapterFor(found.conn).eppCode(d.domain, d.registrarRef);
        return { domain: d.domain, eppCode };
      } catch (err) {
        if (!isPanelError(err)) throw err;
        if (err.retryable)
          throw new UnavailableError(
            'provisioning.registrar_unavailable',
            'the registrar did not answer; try again',
            {
              retryAfterSeconds: 60,
            },
          );
        throw new ConflictError('provisioning.epp_code_unavailable', err.message);
      }
    },

    async listJobs(
      auth: AuthContext,
      filter: { status?: DomainJobStatus; domainId?: string; tenantId?: string },
    ) {
      const scope = readScope(auth, filter.tenantId);
      return db.withTenant(scope, (tx) => listDomainJobs(tx, scope, filter));
    },
    async retryJob(auth: AuthContext, id: string, tenantId?: string) {
      const scope = readScope(auth, tenantId);
      return db.withTenant(scope, async (tx) => {
        const job = await findDomainJob(tx, scope, id);
        if (!job) throw domainJobNotFound();
        const rearmed = await rearmFailedDomainJob(tx, tenantScope(job.tenantId), id);
        if (!rearmed)
          throw new ConflictError(
            'provisioning.job_not_failed',
            `only a failed job can be retried (it is ${job.status})`,
          );
        await notifyRunners(tx);
        return rearmed;
      });
    },
  };
}

export type DomainsService = ReturnType<typeof createDomainsService>;
