import { newId, tenantScope } from '@geminis/service-kit';
import { rows } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { startRegistrarStandIn, type RegistrarStandIn } from '../src/dev/registrar-stand-in';
import { namecomAccount, REGISTER, registerRequest, runDomainJobsUntil } from './support/domains';
import {
  client,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
  type Res,
} from './support/provisioning';

/**
 * Cross-tenant matrix over registrar accounts, TLD defaults, domains and domain jobs: another tenant, another
 * client of the same tenant, and an admin narrowed to another tenant get the same 404 as a missing id, for
 * read, list, change and delete. Run twice: with both walls, and with row-level security opened so each
 * store's own tenant filter must hold alone.
 */
describe.each([
  ['both walls', false],
  ['the stores’ filter alone', true],
])('domain isolation (%s)', (_name, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  let registrar: RegistrarStandIn;
  const A = newId();
  const B = newId();
  let accountA: string;
  let domainA: string;
  let jobA: string;
  let tokens: Record<'resellerA' | 'resellerB' | 'owner' | 'otherClient' | 'adminOnB', string>;
  const req = registerRequest(`isolated-${newId().slice(-6)}.com`);

  beforeAll(async () => {
    registrar = await startRegistrarStandIn();
    h = await startProvisioning({ firstWallOnly });
    api = client(h.url);
    tokens = {
      resellerA: h.issuer.tokenFor('reseller', A),
      resellerB: h.issuer.tokenFor('reseller', B),
      owner: h.issuer.tokenFor('client', A, req.client.clientId),
      otherClient: h.issuer.tokenFor('client', A),
      adminOnB: h.issuer.tokenFor('admin', PLATFORM_TENANT_ID),
    };
    accountA = await namecomAccount(api, tokens.resellerA, registrar.url, ['.com']);
    await namecomAccount(api, tokens.resellerB, registrar.url, ['.com']);
    await h.deliver(REGISTER, A, req);
    const [d] = await h.db.withTenant(tenantScope(A), (tx) =>
      rows<{ id: string }>(tx, sql`select id from domains where domain_service_id = ${req.domainServiceId}`),
    );
    domainA = d!.id;
    await runDomainJobsUntil(
      h,
      async () => (await api.get(`/v1/domains/${domainA}`, tokens.owner)).body?.status === 'active',
    );
    jobA = (await api.get(`/v1/domains/jobs?domainId=${domainA}`, tokens.resellerA)).body.items[0].id;
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await registrar?.close();
  });

  const shape = (r: Res) => ({ status: r.status, code: r.body?.code, detail: r.body?.detail });
  const q = (token: keyof typeof tokens) => (token === 'adminOnB' ? `?tenantId=${B}` : '');

  /** The same call on a missing id answers exactly like the call on the other tenant's id. */
  async function sameAsMissing(
    token: keyof typeof tokens,
    call: (id: string, query: string) => Promise<Res>,
    id: string,
  ) {
    const theirs = await call(id, q(token));
    const missing = await call(newId(), q(token));
    expect(shape(theirs)).toEqual(shape(missing));
    expect(theirs.status).toBe(404);
  }

  it('the owner and its tenant’s staff see the domain; the account is its tenant’s', async () => {
    expect((await api.get(`/v1/domains/${domainA}`, tokens.owner)).status).toBe(200);
    expect((await api.get(`/v1/domains/${domainA}`, tokens.resellerA)).status).toBe(200);
    expect((await api.get(`/v1/registrars/accounts/${accountA}`, tokens.resellerA)).status).toBe(200);
  });

  it.each(['resellerB', 'otherClient', 'adminOnB'] as const)(
    '%s gets 404 for the domain, its changes and its EPP code',
    async (who) => {
      const t = tokens[who];
      await sameAsMissing(who, (id, qs) => api.get(`/v1/domains/${id}${qs}`, t), domainA);
      await sameAsMissing(
        who,
        (id, qs) =>
          api.put(
            `/v1/domains/${id}/nameservers${qs}`,
            { nameservers: ['ns1.evil.test', 'ns2.evil.test'] },
            t,
          ),
        domainA,
      );
      await sameAsMissing(
        who,
        (id, qs) => api.put(`/v1/domains/${id}/lock${qs}`, { locked: false }, t),
        domainA,
      );
      await sameAsMissing(
        who,
        (id, qs) => api.put(`/v1/domains/${id}/privacy${qs}`, { enabled: false }, t),
        domainA,
      );
      await sameAsMissing(
        who,
        (id, qs) => api.post(`/v1/domains/${id}/epp-code${qs}`, undefined, t),
        domainA,
      );
      await sameAsMissing(who, (id, qs) => api.get(`/v1/domains/${id}/dns-records${qs}`, t), domainA);
      await sameAsMissing(
        who,
        (id, qs) =>
          api.put(
            `/v1/domains/${id}/dns-records${qs}`,
            { records: [{ type: 'A', host: '@', answer: '192.0.2.66' }] },
            t,
          ),
        domainA,
      );
      await sameAsMissing(
        who,
        (id, qs) => api.put(`/v1/domains/${id}/contact${qs}`, { contact: req.registrant }, t),
        domainA,
      );
      await sameAsMissing(
        who,
        (id, qs) =>
          api.put(`/v1/domains/${id}/child-hosts/ns1.${req.domain}${qs}`, { ips: ['192.0.2.66'] }, t),
        domainA,
      );
      const list = await api.get(`/v1/domains${q(who)}`, t);
      expect(list.status).toBe(200);
      expect((list.body.items as any[]).map((d) => d.id)).not.toContain(domainA);
      // Nothing was changed at the registrar or here.
      expect(registrar.domains.get(req.domain)).toMatchObject({ locked: true, nameservers: req.nameservers });
    },
  );

  it.each(['resellerB', 'adminOnB'] as const)(
    "%s gets 404 for the other tenant's registrar account and jobs",
    async (who) => {
      const t = tokens[who];
      await sameAsMissing(who, (id, qs) => api.get(`/v1/registrars/accounts/${id}${qs}`, t), accountA);
      await sameAsMissing(
        who,
        (id, qs) => api.patch(`/v1/registrars/accounts/${id}${qs}`, { enabled: false }, t),
        accountA,
      );
      await sameAsMissing(
        who,
        (id, qs) => api.post(`/v1/registrars/accounts/${id}/test-connection${qs}`, undefined, t),
        accountA,
      );
      await sameAsMissing(who, (id, qs) => api.del(`/v1/registrars/accounts/${id}${qs}`, t), accountA);
      await sameAsMissing(who, (id, qs) => api.post(`/v1/domains/jobs/${id}/retry${qs}`, undefined, t), jobA);
      const accounts = await api.get(`/v1/registrars/accounts${q(who)}`, t);
      expect((accounts.body.items as any[]).map((a) => a.id)).not.toContain(accountA);
      const jobs = await api.get(`/v1/domains/jobs${q(who) ? `${q(who)}&` : '?'}domainId=${domainA}`, t);
      expect(jobs.body.items).toEqual([]);
      // Another tenant's account cannot be made the registrar of a TLD (as if it did not exist).
      const tld = await api.put(`/v1/registrars/tlds/.net${q(who)}`, { accountId: accountA }, t);
      expect(tld.status).toBe(400);
      expect(JSON.stringify(tld.body)).toContain('accountId');
      const tlds = await api.get(`/v1/registrars/tlds${q(who)}`, t);
      expect((tlds.body.items as any[]).map((x) => x.accountId)).not.toContain(accountA);
      expect((await api.get(`/v1/registrars/accounts/${accountA}`, tokens.resellerA)).body.enabled).toBe(
        true,
      );
    },
  );

  it('clients never reach registrar accounts or domain jobs', async () => {
    for (const path of [
      '/v1/registrars/accounts',
      `/v1/registrars/accounts/${accountA}`,
      '/v1/registrars/tlds',
      '/v1/domains/jobs',
    ])
      expect([path, (await api.get(path, tokens.owner)).status]).toEqual([path, 403]);
  });

  it('never answers a credential', async () => {
    const all = JSON.stringify((await api.get('/v1/registrars/accounts', tokens.resellerA)).body);
    expect(all).not.toContain('NAMECOM-TOKEN-123456');
    expect(all).not.toContain('"credentials"');
  });
});
