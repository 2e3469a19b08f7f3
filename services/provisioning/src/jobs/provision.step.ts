import { PLATFORM_TENANT_ID, ServiceProvisioned, ServiceProvisionRequested } from '@geminis/contracts';
import { allTenants, newId, tenantScope, type Tx } from '@geminis/service-kit';
import { type z } from 'zod';
import { generatePassword } from '../domain/crypto';
import { pickServer } from '../domain/fill';
import { freeCandidate, usernameBase } from '../domain/usernames';
import { isPanelError, type PanelAccount, type PanelAdapter } from '../modules/panel';
import { readServerOfAccount, type Server } from '../store/servers.store';
import {
  findAccountOfService,
  findAccountPassword,
  insertAccount,
  renameAccount,
  setAccountStatus,
  type Account,
} from '../store/accounts.store';
import { type Job } from '../store/jobs.store';
import { lockCandidateServers, usernamesLike } from '../store/placements.store';
import { recordSync, type Drift } from '../store/sync.store';
import { causedBy, JobFailure, type Completion, type JobDeps } from './job-context';
import { panelFromRow } from './panel-of-account';
import { driftOf } from './state-sync';

type Request = z.infer<typeof ServiceProvisionRequested.schema>;
type PanelModuleName = 'cpanel' | 'plesk' | 'directadmin';

const MAX_NAME_TRIES = 20;

/**
 * The server each (tenant, product, module) was last placed on, by this process: a hint read before the
 * placement's locks, never trusted unless the placement picks the same server unchanged.
 */
const lastServerOf = new Map<string, string>();
const sameDomain = (a: string | null, b: string | null) =>
  (a ?? '').toLowerCase() === (b ?? '').toLowerCase();

/**
 * Creates the account of a client service, safe to repeat at any point: the account row (server, user
 * name, sealed password) is written before the panel is called, and every attempt asks the panel whether
 * that account already exists before creating it — so an attempt after a timeout adopts the account the
 * previous one created instead of creating a second. A name the panel holds for another domain is someone
 * else's: the next candidate name is taken.
 */
export async function provisionStep(deps: JobDeps, job: Job): Promise<Completion> {
  const req = ServiceProvisionRequested.schema.parse(job.request);
  const scope = tenantScope(job.tenantId);
  const module = req.module;
  const domain = req.domain;

  // One transaction reads or writes all an attempt needs before the panel: the service's account (placed
  // now, pending, under the candidate servers' row locks, when it has none yet), its server and its sealed
  // password. The servers are read across tenants (a reseller's product may live on a platform server);
  // the account rows through the job's tenant filter. Every runner placing on the same servers waits for
  // those locks, so nothing is read under them that can be read before: the server the product was last
  // placed on is read first, and used when the placement picks it unchanged (the same updated_at).
  const prepared = await deps.db.withTenant(allTenants, async (tx) => {
    const existing = await findAccountOfService(tx, scope, req.serviceId);
    if (existing && existing.status === 'terminated')
      throw new JobFailure('this service was terminated; its account is not created again', false);
    if (existing && existing.status !== 'pending') return { kind: 'done' as const, account: existing };
    if (module === 'none') return { kind: 'none' as const };
    if (module === 'registrar')
      throw new JobFailure(
        'registrar products are provisioned by the domains part, which is not built yet',
        false,
      );
    if (!domain) throw new JobFailure('a hosting account needs a domain and the order named none', false);
    if (existing) {
      const server = await serverOf(tx, existing);
      const sealed = await findAccountPassword(tx, scope, existing.id);
      return { kind: 'panel' as const, account: existing, server, sealed, domain };
    }
    const key = `${job.tenantId}/${req.productId}/${module}`;
    const hint = lastServerOf.get(key);
    const early = hint ? await readServerOfAccount(tx, hint) : null;
    const { account, sealed, server } = await place(deps, tx, job, req, module, domain);
    if (lastServerOf.size >= 1000) lastServerOf.clear();
    lastServerOf.set(key, server.id);
    const unchanged = early?.server.id === server.id && early.server.updatedAt === server.updatedAt;
    return {
      kind: 'panel' as const,
      account,
      server: unchanged ? early : await serverOf(tx, account),
      sealed,
      domain,
    };
  });
  if (prepared.kind === 'panel' && !prepared.sealed)
    throw new JobFailure('the account has no password to create it with', false);
  if (prepared.kind === 'done') return provisioned(deps, job, prepared.account, prepared.account.host);
  if (prepared.kind === 'none') {
    return async (tx) => {
      const account = await insertAccount(tx, scope, {
        id: newId(),
        serviceId: req.serviceId,
        clientId: req.client.clientId,
        productId: req.productId,
        module: 'none',
        serverId: null,
        host: null,
        username: null,
        domain: req.domain ?? null,
        package: null,
        status: 'active',
        sealedPassword: null,
      });
      await publish(deps, tx, job, account, null);
    };
  }

  let account = prepared.account;
  const server = prepared.server.server;
  const panel = panelFromRow(deps, prepared.server);
  const password = deps.cipher.open('account-passwords', prepared.sealed!);
  const base = usernameBase(prepared.domain, req.serviceId);

  // The panel's account when an existing one is adopted rather than created by this attempt.
  let adoptedAs: PanelAccount | null = null;
  for (let n = 0; ; n++) {
    if (n >= MAX_NAME_TRIES) throw new JobFailure('no free user name on the panel for this domain', true);
    const ref = { username: account.username!, domain: account.domain };
    const found = await panel.lookup(ref);
    if (found && sameDomain(found.domain, account.domain)) {
      adoptedAs = found; // ours: created by an earlier attempt
      break;
    }
    if (found) {
      account = await rename(deps, account, base, n);
      continue;
    }
    try {
      await panel.create({
        username: ref.username,
        domain: prepared.domain,
        password,
        package: packageOf(req),
        email: req.client.email,
        contactName: req.client.name,
        reseller: req.moduleConfig.reseller === true,
      });
      break;
    } catch (err) {
      // WHM may refuse a create it in fact carried out ("a group for that username already exists").
      if (isPanelError(err) && err.kind === 'rejected') adoptedAs = await adopted(panel, ref);
      if (adoptedAs) break;
      throw err;
    }
  }
  // An adopted account is compared with the product as the state sync compares it: one on another package
  // (or Plesk service plan), or suspended on the panel, is adopted all the same and its drift recorded for
  // staff — the panel is not changed behind their back.
  const drift = adoptedAs
    ? { drift: driftOf({ status: 'active', package: packageOf(req) }, adoptedAs) }
    : undefined;
  return provisioned(deps, job, account, server.hostname, drift);
}

const packageOf = (req: Request): string => {
  const c = req.moduleConfig;
  const pkg =
    typeof c.package === 'string' ? c.package : typeof c.servicePlan === 'string' ? c.servicePlan : '';
  if (!pkg) throw new JobFailure('the product names no panel package', false);
  return pkg;
};

async function adopted(
  panel: PanelAdapter,
  ref: { username: string; domain: string | null },
): Promise<PanelAccount | null> {
  const after = await panel.lookup(ref);
  return after !== null && sameDomain(after.domain, ref.domain) ? after : null;
}

function provisioned(
  deps: JobDeps,
  job: Job,
  account: Account,
  host: string | null,
  compared?: { drift: Drift | null },
): Completion {
  const scope = tenantScope(job.tenantId);
  return async (tx) => {
    const active =
      account.status === 'pending'
        ? ((await setAccountStatus(tx, scope, account.id, 'active')) ?? account)
        : account;
    if (compared) await recordSync(tx, scope, account.id, compared.drift);
    await publish(deps, tx, job, active, host);
  };
}

async function publish(deps: JobDeps, tx: Tx, job: Job, account: Account, host: string | null) {
  await deps.outbox.enqueue(tx, {
    type: ServiceProvisioned.type,
    tenantId: job.tenantId,
    ...causedBy(job),
    data: {
      serviceId: account.serviceId,
      clientId: account.clientId,
      module: account.module,
      ...(account.username ? { username: account.username } : {}),
      ...(host ? { host } : {}),
    },
  });
}

/**
 * Chooses the server (placement, fill strategy, capacity) and a free user name, and writes the pending
 * account with a new sealed password (returned, so it need not be read back) — in the caller's cross-tenant transaction, under the candidate
 * servers' row locks, so two runners never both take a server's last slot or the same name.
 */
async function place(
  deps: JobDeps,
  tx: Tx,
  job: Job,
  req: Request,
  module: PanelModuleName,
  domain: string,
): Promise<{ account: Account; sealed: string; server: Server }> {
  const scope = tenantScope(job.tenantId);
  const candidates = await lockCandidateServers(
    tx,
    job.tenantId,
    PLATFORM_TENANT_ID,
    req.productId,
    module,
    req.platformProductId,
  );
  const server = pickServer(candidates.strategy, candidates.servers);
  if (!server) throw new JobFailure(`no enabled ${module} server with room for this product`, true);
  const base = usernameBase(domain, req.serviceId);
  const username = freeCandidate(base, await usernamesLike(tx, server.id, base));
  if (!username) throw new JobFailure('no free user name on the chosen server', true);
  const sealed = deps.cipher.seal('account-passwords', generatePassword());
  const account = await insertAccount(tx, scope, {
    id: newId(),
    serviceId: req.serviceId,
    clientId: req.client.clientId,
    productId: req.productId,
    module,
    serverId: server.id,
    host: server.hostname,
    username,
    domain,
    package: packageOf(req),
    status: 'pending',
    sealedPassword: sealed,
  });
  return { account, sealed, server };
}

/** The server an account was placed on, with its sealed credentials (a job failure when it is gone). */
async function serverOf(tx: Tx, account: Account) {
  const server = account.serverId ? await readServerOfAccount(tx, account.serverId) : null;
  if (!server) throw new JobFailure('the server of this account was removed', false);
  return server;
}

/** The next candidate name free on the server (the current one belongs to another account there). */
async function rename(deps: JobDeps, account: Account, base: string, from: number): Promise<Account> {
  const scope = tenantScope(account.tenantId);
  return deps.db.withTenant(allTenants, async (tx) => {
    const taken = await usernamesLike(tx, account.serverId!, base);
    taken.add(account.username!); // held on the panel by someone else
    const candidate = freeCandidate(base, taken, from + 1);
    if (!candidate) throw new JobFailure('no free user name on the panel for this domain', true);
    await renameAccount(tx, scope, account.id, candidate);
    return { ...account, username: candidate };
  });
}
