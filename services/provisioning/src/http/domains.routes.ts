import {
  ConnectionTestView,
  DnsRecordList,
  DomainAvailabilityList,
  DomainJobList,
  DomainJobView,
  DomainList,
  DomainView,
  EppCodeView,
  RegistrarAccountList,
  RegistrarAccountView,
  RegistrarCallbackAck,
  TldRegistrarList,
  TldRegistrarView,
  type DomainJobView as DomainJobViewType,
  type DomainView as DomainViewType,
} from '@geminis/contracts';
import { createRoutes, NotFoundError } from '@geminis/service-kit';
import { type Request } from 'express';
import { type z } from 'zod';
import { type AvailabilityService } from '../domain/availability.service';
import { type CallbacksService } from '../domain/callbacks.service';
import {
  AvailabilityQuery,
  ChildHostInput,
  ChildHostParam,
  ContactInput,
  DnsRecordsInput,
  DomainJobsQuery,
  LockInput,
  NameserversInput,
  PrivacyInput,
  RegistrarAccountInput,
  RegistrarAccountPatch,
  TldRegistrarInput,
  tldOfParam,
} from '../domain/domain-inputs';
import { type DomainsService } from '../domain/domains.service';
import {
  domainJobNotFound,
  domainNotFound,
  invalidField,
  registrarAccountNotFound,
  tldRegistrarNotFound,
} from '../domain/errors';
import { type RegistrarAccountsService } from '../domain/registrar-accounts.service';
import { type DomainJob } from '../store/domain-jobs.store';
import { type DomainRecord } from '../store/domains.store';
import { bodyOf, idOf, queryOf, STAFF, TenantQuery, tenantOf } from './request';

const ALL = { roles: ['admin', 'reseller', 'client'] as const };

/** Raw bodies (the signature covers the exact bytes) on the registrar callback paths. */
export const REGISTRAR_CALLBACK_PATHS = ['/v1/callbacks/registrars/*'];

export const domainView = (d: DomainRecord): DomainViewType => ({
  id: d.id,
  tenantId: d.tenantId,
  domainServiceId: d.domainServiceId,
  clientId: d.clientId,
  domain: d.domain,
  tld: d.tld,
  registrar: d.registrar,
  status: d.status,
  expiresAt: d.expiresAt,
  nameservers: d.nameservers,
  locked: d.locked,
  privacy: d.privacy,
  drift: d.drift,
  syncedAt: d.syncedAt,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

/** A domain job without its request (a transfer's sealed EPP code, the registrant's contact). */
export const domainJobView = (j: DomainJob): DomainJobViewType => ({
  id: j.id,
  tenantId: j.tenantId,
  domainId: j.domainId,
  action: j.action,
  status: j.status,
  attempts: j.attempts,
  maxAttempts: j.maxAttempts,
  nextRunAt: j.nextRunAt,
  lastError: j.lastError,
  createdAt: j.createdAt,
  updatedAt: j.updatedAt,
  finishedAt: j.finishedAt,
});

const tldOf = (req: Request): string => {
  const parsed = tldOfParam(String(req.params.tld ?? ''));
  if (!parsed.success) throw tldRegistrarNotFound();
  return parsed.data;
};

/** Registrar accounts and TLD defaults (staff), domains (clients their own, staff their tenant's), search. */
export function domainsRoutes(deps: {
  registrarAccounts: RegistrarAccountsService;
  domains: DomainsService;
  availability: AvailabilityService;
  callbacks: CallbacksService;
}) {
  const { registrarAccounts: accounts, domains, availability, callbacks } = deps;
  const routes = createRoutes();

  // --- registrar accounts (credentials go in, never come out) ---
  routes.get(
    '/v1/registrars/accounts',
    STAFF,
    { summary: 'List registrar accounts', query: TenantQuery, responses: { 200: RegistrarAccountList } },
    async (req, res, auth) => {
      res.json({ items: await accounts.list(auth, tenantOf(req)) });
    },
  );
  routes.post(
    '/v1/registrars/accounts',
    STAFF,
    {
      summary: 'Add a registrar account (credentials are stored encrypted)',
      query: TenantQuery,
      body: RegistrarAccountInput,
      responses: { 201: RegistrarAccountView },
    },
    async (req, res, auth) => {
      res.status(201).json(await accounts.create(auth, bodyOf(req, RegistrarAccountInput), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/registrars/accounts/:id',
    STAFF,
    { summary: 'A registrar account', query: TenantQuery, responses: { 200: RegistrarAccountView } },
    async (req, res, auth) => {
      res.json(await accounts.get(auth, idOf(req, registrarAccountNotFound), tenantOf(req)));
    },
  );
  routes.patch(
    '/v1/registrars/accounts/:id',
    STAFF,
    {
      summary: 'Change a registrar account (new credentials replace the old)',
      query: TenantQuery,
      body: RegistrarAccountPatch,
      responses: { 200: RegistrarAccountView },
    },
    async (req, res, auth) => {
      const id = idOf(req, registrarAccountNotFound);
      res.json(await accounts.update(auth, id, bodyOf(req, RegistrarAccountPatch), tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/registrars/accounts/:id',
    STAFF,
    { summary: 'Remove a registrar account nothing uses', query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await accounts.remove(auth, idOf(req, registrarAccountNotFound), tenantOf(req));
      res.status(204).end();
    },
  );
  routes.post(
    '/v1/registrars/accounts/:id/test-connection',
    STAFF,
    {
      summary: "Check the account's credentials against its registrar",
      query: TenantQuery,
      responses: { 200: ConnectionTestView },
    },
    async (req, res, auth) => {
      res.json(await accounts.testConnection(auth, idOf(req, registrarAccountNotFound), tenantOf(req)));
    },
  );
  routes.get(
    '/v1/registrars/tlds',
    STAFF,
    {
      summary: 'The registrar account of each TLD',
      query: TenantQuery,
      responses: { 200: TldRegistrarList },
    },
    async (req, res, auth) => {
      res.json({ items: await accounts.listTlds(auth, tenantOf(req)) });
    },
  );
  routes.put(
    '/v1/registrars/tlds/:tld',
    STAFF,
    {
      summary: "Set the registrar account a TLD's domains are registered with (`.com`, URL-encoded)",
      query: TenantQuery,
      body: TldRegistrarInput,
      responses: { 200: TldRegistrarView },
    },
    async (req, res, auth) => {
      const tld = tldOf(req);
      res.json(await accounts.setTld(auth, tld, bodyOf(req, TldRegistrarInput).accountId, tenantOf(req)));
    },
  );
  routes.delete(
    '/v1/registrars/tlds/:tld',
    STAFF,
    { summary: "Remove a TLD's registrar", query: TenantQuery, responses: { 204: null } },
    async (req, res, auth) => {
      await accounts.removeTld(auth, tldOf(req), tenantOf(req));
      res.status(204).end();
    },
  );

  // --- search (before /v1/domains/:id) ---
  routes.get(
    '/v1/domains/availability',
    ALL,
    {
      summary: "Availability and one-year prices of domain names (the caller's tenant)",
      query: AvailabilityQuery,
      responses: { 200: DomainAvailabilityList },
    },
    async (req, res, auth) => {
      const q = queryOf(req, AvailabilityQuery);
      res.json({ items: await availability.search(auth.tenantId, q.names, q.currency) });
    },
  );
  routes.get(
    '/v1/domain-search/:id',
    { public: true },
    {
      summary: 'Storefront domain search: availability and prices (the gateway fills the tenant in)',
      query: AvailabilityQuery,
      responses: { 200: DomainAvailabilityList },
    },
    async (req, res) => {
      const tenantId = idOf(req, () => new NotFoundError('storefront.unknown_tenant', 'no such storefront'));
      const q = queryOf(req, AvailabilityQuery);
      res.json({ items: await availability.search(tenantId, q.names, q.currency) });
    },
  );

  // --- domain jobs (staff) ---
  routes.get(
    '/v1/domains/jobs',
    STAFF,
    { summary: 'List domain jobs (newest first)', query: DomainJobsQuery, responses: { 200: DomainJobList } },
    async (req, res, auth) => {
      res.json({ items: (await domains.listJobs(auth, queryOf(req, DomainJobsQuery))).map(domainJobView) });
    },
  );
  routes.post(
    '/v1/domains/jobs/:id/retry',
    STAFF,
    { summary: 'Retry a failed domain job', query: TenantQuery, responses: { 202: DomainJobView } },
    async (req, res, auth) => {
      res
        .status(202)
        .json(domainJobView(await domains.retryJob(auth, idOf(req, domainJobNotFound), tenantOf(req))));
    },
  );

  // --- domains ---
  routes.get(
    '/v1/domains',
    ALL,
    { summary: 'List domains (a client sees its own)', query: TenantQuery, responses: { 200: DomainList } },
    async (req, res, auth) => {
      res.json({ items: (await domains.list(auth, tenantOf(req))).map(domainView) });
    },
  );
  routes.get(
    '/v1/domains/:id',
    ALL,
    { summary: 'A domain', query: TenantQuery, responses: { 200: DomainView } },
    async (req, res, auth) => {
      res.json(domainView(await domains.get(auth, idOf(req, domainNotFound), tenantOf(req))));
    },
  );
  const change = <T extends z.ZodType>(
    path: string,
    action: 'nameservers' | 'lock' | 'privacy' | 'contacts',
    body: T,
    summary: string,
  ) =>
    routes.put(
      path,
      ALL,
      { summary, query: TenantQuery, body, responses: { 202: DomainJobView } },
      async (req, res, auth) => {
        const id = idOf(req, domainNotFound);
        const input = bodyOf(req, body) as Record<string, unknown>;
        res
          .status(202)
          .json(domainJobView(await domains.requestChange(auth, id, action, input, tenantOf(req))));
      },
    );
  change(
    '/v1/domains/:id/nameservers',
    'nameservers',
    NameserversInput,
    "Set the domain's nameservers (a job)",
  );
  change('/v1/domains/:id/lock', 'lock', LockInput, 'Lock or unlock the domain against transfers (a job)');
  change('/v1/domains/:id/privacy', 'privacy', PrivacyInput, 'Turn WHOIS privacy on or off (a job)');
  change(
    '/v1/domains/:id/contact',
    'contacts',
    ContactInput,
    "Replace the domain's registrant (and admin, tech, billing) contact (a job)",
  );
  routes.put(
    '/v1/domains/:id/child-hosts/:hostname',
    ALL,
    {
      summary: 'Create or change a private nameserver under the domain, e.g. ns1.<domain> (a job)',
      query: TenantQuery,
      body: ChildHostInput,
      responses: { 202: DomainJobView },
    },
    async (req, res, auth) => {
      const id = idOf(req, domainNotFound);
      const hostname = ChildHostParam.safeParse(String(req.params.hostname ?? '').toLowerCase());
      const { ips } = bodyOf(req, ChildHostInput);
      if (!hostname.success)
        throw invalidField('provisioning.invalid_child_host', 'hostname', 'a host name like ns1.example.com');
      const job = await domains.requestChange(
        auth,
        id,
        'child_host',
        { hostname: hostname.data, ips },
        tenantOf(req),
      );
      res.status(202).json(domainJobView(job));
    },
  );
  routes.get(
    '/v1/domains/:id/dns-records',
    ALL,
    {
      summary: "The records of the registrar's DNS for the domain, read now",
      query: TenantQuery,
      responses: { 200: DnsRecordList },
    },
    async (req, res, auth) => {
      res.json({ items: await domains.dnsRecords(auth, idOf(req, domainNotFound), tenantOf(req)) });
    },
  );
  routes.put(
    '/v1/domains/:id/dns-records',
    ALL,
    {
      summary: "Make the registrar's DNS hold exactly these records (a job)",
      query: TenantQuery,
      body: DnsRecordsInput,
      responses: { 202: DomainJobView },
    },
    async (req, res, auth) => {
      const id = idOf(req, domainNotFound);
      const { records } = bodyOf(req, DnsRecordsInput);
      res
        .status(202)
        .json(domainJobView(await domains.requestChange(auth, id, 'dns', { records }, tenantOf(req))));
    },
  );
  routes.post(
    '/v1/domains/:id/epp-code',
    ALL,
    {
      summary: 'The EPP (transfer-out) code, read from the registrar now',
      query: TenantQuery,
      responses: { 200: EppCodeView },
    },
    async (req, res, auth) => {
      res.json(await domains.eppCode(auth, idOf(req, domainNotFound), tenantOf(req)));
    },
  );

  // --- registrar callbacks: public on purpose; the signature authenticates them ---
  routes.post(
    '/v1/callbacks/registrars/:registrar/:account',
    { public: true },
    {
      summary: 'A registrar’s signed callback (raw body; recorded, acknowledged, applied in a job)',
      responses: { 200: RegistrarCallbackAck },
    },
    async (req, res) => {
      res.json(
        await callbacks.receive(
          String(req.params.registrar),
          String(req.params.account),
          req.body,
          req.headers,
        ),
      );
    },
  );
  return routes;
}
