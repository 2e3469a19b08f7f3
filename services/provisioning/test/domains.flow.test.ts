import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import { startRegistrarStandIn, type RegistrarStandIn } from '../src/dev/registrar-stand-in';
import {
  namecomAccount,
  REGISTER,
  registerRequest,
  RENEW,
  renewRequest,
  runDomainJobsUntil,
  TRANSFER,
} from './support/domains';
import { outboxEvents } from './support/jobs';
import {
  client,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
} from './support/provisioning';

const plusYears = (iso: string, years: number) => {
  const d = new Date(iso);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d.toISOString();
};

/** billing's domain requests → durable domain jobs → a Name.com-shaped registrar on loopback → events. */
describe('domain lifecycle', () => {
  let h: Harness;
  let api: Client;
  let registrar: RegistrarStandIn;
  const A = newId();
  let admin: string;
  let resellerA: string;

  beforeAll(async () => {
    registrar = await startRegistrarStandIn();
    h = await startProvisioning({ config: { domains: { registrarTimeoutMs: 300 } } });
    api = client(h.url);
    admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    resellerA = h.issuer.tokenFor('reseller', A);
    // Tenant A has no registrar of its own: its clients' domains go through the platform's account.
    await namecomAccount(api, admin, registrar.url, ['.com', '.net']);
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await registrar?.close();
  });

  const domainOf = async (domainServiceId: string) => {
    const [d] = await h.db.withTenant(tenantScope(A), (tx) =>
      rows<{
        id: string;
        status: string;
        expires_at: Date | null;
        registrar: string | null;
        nameservers: string[];
      }>(
        tx,
        sql`select id, status, expires_at, registrar, nameservers from domains where domain_service_id = ${domainServiceId}`,
      ),
    );
    return d && { ...d, expiresAt: d.expires_at ? new Date(d.expires_at).toISOString() : null };
  };
  const jobsOf = async (domainId: string) =>
    (await api.get(`/v1/domains/jobs?domainId=${domainId}`, resellerA)).body.items as any[];
  const settled = (domainServiceId: string) => async () => {
    const d = await domainOf(domainServiceId);
    return !!d && (await jobsOf(d.id)).every((j) => j.status === 'done' || j.status === 'failed');
  };
  const eventsFor = async (type: string, domain: string) =>
    (await outboxEvents(h, type)).filter((e) => e.data.domain === domain);
  const registerCalls = () => registrar.calls['POST /v4/domains'] ?? 0;

  async function registered(name: string) {
    const req = registerRequest(name);
    expect(await h.deliver(REGISTER, A, req)).toBe('ack');
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect((await domainOf(req.domainServiceId))!.status).toBe('active');
    return req;
  }

  it('registers once per domain service, whatever the redeliveries, and tells billing the expiry', async () => {
    const req = registerRequest('ada-lovelace.com');
    const id = newId();
    const before = registerCalls();
    expect(await h.deliver(REGISTER, A, req, id)).toBe('ack');
    expect(await h.deliver(REGISTER, A, req, id)).toBe('ack'); // the same delivery again (inbox)
    expect(await h.deliver(REGISTER, A, req)).toBe('ack'); // the same request in another event
    // The consumer recorded a job and called no registrar.
    expect(registerCalls()).toBe(before);
    const d = await domainOf(req.domainServiceId);
    expect(await jobsOf(d!.id)).toEqual([expect.objectContaining({ action: 'register', status: 'pending' })]);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect(registerCalls()).toBe(before + 1);
    const after = await domainOf(req.domainServiceId);
    expect(after).toMatchObject({ status: 'active', registrar: 'namecom', nameservers: req.nameservers });
    const expiresAt = registrar.domains.get('ada-lovelace.com')!.expireDate;
    expect(after!.expiresAt).toBe(new Date(expiresAt).toISOString());
    const events = await eventsFor('provisioning.domain.registered.v1', 'ada-lovelace.com');
    expect(events.map((e) => e.data)).toEqual([
      {
        domainServiceId: req.domainServiceId,
        domain: 'ada-lovelace.com',
        expiresAt: new Date(expiresAt).toISOString(),
        registrar: 'namecom',
      },
    ]);
    expect(events[0]!.tenantId).toBe(A);
  });

  it('adopts a registration that happened but timed out (the state is read, not registered twice)', async () => {
    registrar.state.hang.register = 1;
    const before = registerCalls();
    const req = registerRequest('timed-out.com');
    await h.deliver(REGISTER, A, req);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect(registerCalls()).toBe(before + 1);
    expect((await domainOf(req.domainServiceId))!.status).toBe('active');
    expect(await eventsFor('provisioning.domain.registered.v1', 'timed-out.com')).toHaveLength(1);
  });

  it('after a timeout it could not check, the next attempt reads first and adopts (one registration)', async () => {
    registrar.state.hang.register = 1;
    registrar.state.failReadsAfterHang = 1;
    const before = registerCalls();
    const req = registerRequest('timed-out-twice.com');
    await h.deliver(REGISTER, A, req);
    try {
      await runDomainJobsUntil(h, settled(req.domainServiceId));
    } finally {
      registrar.state.failReadsAfterHang = 0;
    }
    expect(registerCalls()).toBe(before + 1);
    const d = await domainOf(req.domainServiceId);
    const [job] = await jobsOf(d!.id);
    expect(job).toMatchObject({ status: 'done', attempts: 2 });
    expect(await eventsFor('provisioning.domain.registered.v1', 'timed-out-twice.com')).toHaveLength(1);
  });

  it('never adopts a name another domain service already holds in our account (a second order of it fails)', async () => {
    const before = registerCalls();
    const again = registerRequest('ada-lovelace.com'); // registered for another service in the first test
    await h.deliver(REGISTER, A, again);
    await runDomainJobsUntil(h, settled(again.domainServiceId));
    expect(registerCalls()).toBe(before);
    expect((await domainOf(again.domainServiceId))!.status).toBe('failed');
    expect(await eventsFor('provisioning.domain.registered.v1', 'ada-lovelace.com')).toHaveLength(1);
    expect(
      (await eventsFor('provisioning.domain.registration_failed.v1', 'ada-lovelace.com')).map(
        (e) => e.data.domainServiceId,
      ),
    ).toEqual([again.domainServiceId]);
  });

  it('fails a registration the registrar refuses, and tells billing once', async () => {
    const req = registerRequest('already-taken.com');
    await h.deliver(REGISTER, A, req);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    const d = await domainOf(req.domainServiceId);
    expect(d!.status).toBe('failed');
    const [job] = await jobsOf(d!.id);
    expect(job).toMatchObject({ status: 'failed', attempts: 1 });
    expect(job.lastError).toContain('not available');
    const failed = await eventsFor('provisioning.domain.registration_failed.v1', 'already-taken.com');
    expect(failed.map((e) => e.data)).toEqual([
      { domainServiceId: req.domainServiceId, domain: 'already-taken.com', reason: job.lastError },
    ]);
  });

  it('renews by one year from the expiry read first, once per renewal invoice', async () => {
    const req = await registered('renew-me.com');
    const start = registrar.domains.get('renew-me.com')!.expireDate;
    const renewal = renewRequest(req, 1);
    const calls = () => registrar.calls['POST /v4/domains/{name}:renew'] ?? 0;
    const before = calls();
    await h.deliver(RENEW, A, renewal);
    await h.deliver(RENEW, A, renewal); // the same invoice's request again
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect(calls()).toBe(before + 1);
    expect(registrar.domains.get('renew-me.com')!.expireDate).toBe(plusYears(start, 1).replace('.000Z', 'Z'));
    const renewed = await eventsFor('provisioning.domain.renewed.v1', 'renew-me.com');
    expect(renewed.map((e) => e.data.expiresAt)).toEqual([plusYears(start, 1)]);
    expect((await domainOf(req.domainServiceId))!.expiresAt).toBe(plusYears(start, 1));
  });

  it('a renewal retried after a timeout adds one year, not two', async () => {
    const req = await registered('renew-timeout.com');
    const start = registrar.domains.get('renew-timeout.com')!.expireDate;
    const calls = () => registrar.calls['POST /v4/domains/{name}:renew'] ?? 0;
    const before = calls();
    // The renewal happens at the registrar, its answer never comes, and the read after it fails too: the
    // attempt ends in a timeout and the job runs again.
    registrar.state.hang.renew = 1;
    registrar.state.failReadsAfterHang = 1;
    await h.deliver(RENEW, A, renewRequest(req, 1));
    try {
      await runDomainJobsUntil(h, settled(req.domainServiceId));
    } finally {
      registrar.state.failReadsAfterHang = 0;
    }
    const d = await domainOf(req.domainServiceId);
    const renewJob = (await jobsOf(d!.id)).find((j) => j.action === 'renew');
    expect(renewJob).toMatchObject({ status: 'done', attempts: 2 });
    expect(calls()).toBe(before + 1);
    expect(registrar.domains.get('renew-timeout.com')!.expireDate).toBe(
      plusYears(start, 1).replace('.000Z', 'Z'),
    );
    expect(
      (await eventsFor('provisioning.domain.renewed.v1', 'renew-timeout.com')).map((e) => e.data.expiresAt),
    ).toEqual([plusYears(start, 1)]);
  });

  it('transfers in: polls a pending transfer until it completes, keeping the EPP code sealed', async () => {
    const req = { ...registerRequest('moving-in.com'), eppCode: 'Xy7#pQ2!kL9z' };
    await h.deliver(TRANSFER, A, req);
    const d = (await domainOf(req.domainServiceId))!;
    expect(d.status).toBe('transfer_pending');
    const [stored] = await h.db.withTenant(tenantScope(A), (tx) =>
      rows<{ request: unknown }>(tx, sql`select request from domain_jobs where domain_id = ${d.id}`),
    );
    expect(JSON.stringify(stored)).not.toContain('Xy7#pQ2!kL9z');
    // Pending: each run reads the status and puts the job back to wait, spending no attempt.
    for (let i = 0; i < 3; i++) await h.running.built.services.domainRunner.runOnce();
    expect(registrar.transfers.get('moving-in.com')).toMatchObject({
      status: 'pending',
      authCode: 'Xy7#pQ2!kL9z',
    });
    expect(registrar.calls['POST /v4/transfers']).toBe(1);
    expect(await jobsOf(d.id)).toEqual([
      expect.objectContaining({ action: 'transfer', status: 'pending', attempts: 0 }),
    ]);
    expect((await domainOf(req.domainServiceId))!.status).toBe('transfer_pending');
    registrar.completeTransfer('moving-in.com');
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect((await domainOf(req.domainServiceId))!.status).toBe('active');
    expect(registrar.calls['POST /v4/transfers']).toBe(1);
    const done = await eventsFor('provisioning.domain.transferred.v1', 'moving-in.com');
    expect(done.map((e) => e.data)).toEqual([
      expect.objectContaining({ domainServiceId: req.domainServiceId, registrar: 'namecom' }),
    ]);
  });

  it('transfers in: an order that timed out is found on the next attempt, not placed twice', async () => {
    registrar.state.hang.transfer = 1;
    registrar.state.failReadsAfterHang = 1;
    const req = { ...registerRequest('slow-move.com'), eppCode: 'EPP-SLOW-1' };
    await h.deliver(TRANSFER, A, req);
    try {
      for (let i = 0; i < 4; i++) await h.running.built.services.domainRunner.runOnce();
    } finally {
      registrar.state.failReadsAfterHang = 0;
    }
    expect(registrar.transfers.get('slow-move.com')).toMatchObject({ status: 'pending' });
    registrar.completeTransfer('slow-move.com');
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect((await domainOf(req.domainServiceId))!.status).toBe('active');
    expect(await eventsFor('provisioning.domain.transferred.v1', 'slow-move.com')).toHaveLength(1);
    expect(await eventsFor('provisioning.domain.registration_failed.v1', 'slow-move.com')).toEqual([]);
  });

  it('transfers in: a transfer the registrar fails ends the job and tells billing once', async () => {
    const req = { ...registerRequest('refused-move.net'), eppCode: 'WRONG-CODE' };
    await h.deliver(TRANSFER, A, req);
    await h.running.built.services.domainRunner.runOnce();
    registrar.completeTransfer('refused-move.net', 'failed');
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect((await domainOf(req.domainServiceId))!.status).toBe('failed');
    expect(await eventsFor('provisioning.domain.transferred.v1', 'refused-move.net')).toEqual([]);
    expect(
      (await eventsFor('provisioning.domain.registration_failed.v1', 'refused-move.net')).map(
        (e) => e.data.reason,
      ),
    ).toEqual(['the transfer was failed at the registrar']);
  });

  it("lets a client change its own domain's nameservers, lock and privacy, and read its EPP code", async () => {
    const req = await registered('client-owned.com');
    const d = (await domainOf(req.domainServiceId))!;
    const owner = h.issuer.tokenFor('client', A, req.client.clientId);
    const ns = await api.put(
      `/v1/domains/${d.id}/nameservers`,
      { nameservers: ['ns1.elsewhere.test', 'ns2.elsewhere.test'] },
      owner,
    );
    expect(ns.status).toBe(202);
    expect(ns.body).toMatchObject({ action: 'nameservers', status: 'pending' });
    expect((await api.put(`/v1/domains/${d.id}/lock`, { locked: false }, owner)).status).toBe(202);
    expect((await api.put(`/v1/domains/${d.id}/privacy`, { enabled: false }, owner)).status).toBe(202);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect(registrar.domains.get('client-owned.com')).toMatchObject({
      nameservers: ['ns1.elsewhere.test', 'ns2.elsewhere.test'],
      locked: false,
      privacyEnabled: false,
    });
    const view = await api.get(`/v1/domains/${d.id}`, owner);
    expect(view.body).toMatchObject({
      nameservers: ['ns1.elsewhere.test', 'ns2.elsewhere.test'],
      locked: false,
      privacy: false,
      status: 'active',
    });
    const epp = await api.post(`/v1/domains/${d.id}/epp-code`, undefined, owner);
    expect(epp.status).toBe(200);
    expect(epp.body).toEqual({
      domain: 'client-owned.com',
      eppCode: registrar.domains.get('client-owned.com')!.authCode,
    });
    // Bad input names the field and writes nothing.
    const bad = await api.put(`/v1/domains/${d.id}/nameservers`, { nameservers: ['not a host'] }, owner);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('nameservers');
    const one = await api.put(`/v1/domains/${d.id}/nameservers`, { nameservers: ['ns1.only.test'] }, owner);
    expect(one.status).toBe(400);
    expect((await jobsOf(d.id)).filter((j) => j.status === 'pending')).toEqual([]);
  });

  it("changes a domain's contact and its private nameservers through jobs", async () => {
    const req = await registered('with-hosts.com');
    const d = (await domainOf(req.domainServiceId))!;
    const owner = h.issuer.tokenFor('client', A, req.client.clientId);
    const contact = { ...req.registrant, firstName: 'Augusta', email: 'augusta@example.com' };
    expect((await api.put(`/v1/domains/${d.id}/contact`, { contact }, owner)).status).toBe(202);
    const host = await api.put(
      `/v1/domains/${d.id}/child-hosts/ns1.with-hosts.com`,
      { ips: ['192.0.2.53'] },
      owner,
    );
    expect(host.status).toBe(202);
    expect(host.body).toMatchObject({ action: 'child_host' });
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    // A second change of the same host updates it in place.
    await api.put(`/v1/domains/${d.id}/child-hosts/ns1.with-hosts.com`, { ips: ['192.0.2.54'] }, owner);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    const held = registrar.domains.get('with-hosts.com')!;
    expect(held.contacts).toMatchObject({
      registrant: { firstName: 'Augusta', email: 'augusta@example.com' },
    });
    expect(held.vanityNameservers).toEqual({ 'ns1.with-hosts.com': ['192.0.2.54'] });
    const outside = await api.put(
      `/v1/domains/${d.id}/child-hosts/ns1.elsewhere.com`,
      { ips: ['192.0.2.53'] },
      owner,
    );
    expect(outside.status).toBe(400);
    expect(JSON.stringify(outside.body)).toContain('hostname');
    const noIp = await api.put(`/v1/domains/${d.id}/child-hosts/ns2.with-hosts.com`, { ips: [] }, owner);
    expect(noIp.status).toBe(400);
    const badContact = await api.put(
      `/v1/domains/${d.id}/contact`,
      { contact: { ...contact, country: 'Portugal' } },
      owner,
    );
    expect(badContact.status).toBe(400);
    expect(JSON.stringify(badContact.body)).toContain('contact.country');
  });

  it("sets the registrar's DNS to exactly the records asked for, and reads them back", async () => {
    const req = await registered('with-dns.com');
    const d = (await domainOf(req.domainServiceId))!;
    const owner = h.issuer.tokenFor('client', A, req.client.clientId);
    const records = [
      { type: 'A', host: '@', answer: '192.0.2.10', ttl: 300 },
      { type: 'CNAME', host: 'www', answer: 'with-dns.com', ttl: 300 },
      { type: 'MX', host: '@', answer: 'mail.with-dns.com', ttl: 3600, priority: 10 },
      { type: 'TXT', host: '@', answer: 'v=spf1 mx -all', ttl: 3600 },
    ];
    expect((await api.put(`/v1/domains/${d.id}/dns-records`, { records }, owner)).status).toBe(202);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    const read = await api.get(`/v1/domains/${d.id}/dns-records`, owner);
    expect(read.status).toBe(200);
    const norm = (rs: any[]) =>
      rs.map((r) => ({ priority: null, ...r })).sort((a, b) => a.type.localeCompare(b.type));
    expect(norm(read.body.items)).toEqual(norm(records));
    // A smaller set: what is not in it goes, what stays is not touched.
    await api.put(`/v1/domains/${d.id}/dns-records`, { records: records.slice(0, 1) }, owner);
    await runDomainJobsUntil(h, settled(req.domainServiceId));
    expect(registrar.domains.get('with-dns.com')!.records!.map((r) => [r.type, r.host, r.answer])).toEqual([
      ['A', '', '192.0.2.10'],
    ]);
    const bad = await api.put(
      `/v1/domains/${d.id}/dns-records`,
      { records: [{ type: 'A', host: '@', answer: 'not-an-ip' }] },
      owner,
    );
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('records.0.answer');
    const mxWithout = await api.put(
      `/v1/domains/${d.id}/dns-records`,
      { records: [{ type: 'MX', host: '@', answer: 'mx.example.com' }] },
      owner,
    );
    expect(JSON.stringify(mxWithout.body)).toContain('records.0.priority');
  });

  it('syncs expiries in batches: a date changed at the registrar is taken and announced; a missing domain is drift', async () => {
    const req = await registered('synced.com');
    const d = (await domainOf(req.domainServiceId))!;
    const previous = d.expiresAt!;
    const moved = plusYears(previous, 2).replace('.000Z', 'Z');
    registrar.domains.get('synced.com')!.expireDate = moved;
    const gone = await registered('vanishing.com');
    registrar.domains.delete('vanishing.com');
    const sync = h.running.built.services.domainSync;
    for (
      let i = 0;
      i < 10 && (await eventsFor('provisioning.domain.expiry_changed.v1', 'synced.com')).length === 0;
      i++
    )
      await sync.runBatch();
    const changed = await eventsFor('provisioning.domain.expiry_changed.v1', 'synced.com');
    expect(changed.map((e) => e.data)).toEqual([
      {
        domainServiceId: req.domainServiceId,
        domain: 'synced.com',
        expiresAt: new Date(moved).toISOString(),
        previousExpiresAt: previous,
      },
    ]);
    await sync.runBatch();
    await sync.runBatch();
    const views = (await api.get('/v1/domains', resellerA)).body.items as any[];
    expect(views.find((v) => v.domain === 'synced.com')).toMatchObject({
      expiresAt: new Date(moved).toISOString(),
      drift: null, // taken at the run that saw it; later runs agree
    });
    expect(views.find((v) => v.domainServiceId === gone.domainServiceId)).toMatchObject({ drift: 'missing' });
    // A second look finds nothing new: the event went out once.
    expect(await eventsFor('provisioning.domain.expiry_changed.v1', 'synced.com')).toHaveLength(1);
  });

  it("refuses to remove the platform's registrar account while resellers' clients' domains are held through it", async () => {
    const [platformAccount] = (await api.get('/v1/registrars/accounts', admin)).body.items as any[];
    // No TLD points at it any more: what holds it is the domains of tenant A's clients.
    for (const tld of ['.com', '.net'])
      expect((await api.del(`/v1/registrars/tlds/${tld}`, admin)).status).toBe(204);
    try {
      const res = await api.del(`/v1/registrars/accounts/${platformAccount.id}`, admin);
      expect([res.status, res.body.code]).toEqual([409, 'provisioning.registrar_account_in_use']);
    } finally {
      for (const tld of ['.com', '.net'])
        await api.put(`/v1/registrars/tlds/${tld}`, { accountId: platformAccount.id }, admin);
    }
  });

  it('answers availability per name, batched per registrar and cached briefly', async () => {
    const calls = () => registrar.calls['POST /v4/domains:checkAvailability'] ?? 0;
    const before = calls();
    const ask = () =>
      api.get('/v1/domains/availability?names=free-one.com,free-two.net,taken-one.com,nope.xyz', resellerA);
    const res = await ask();
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      expect.objectContaining({ domain: 'free-one.com', tld: '.com', available: true, price: null }),
      expect.objectContaining({ domain: 'free-two.net', available: true }),
      expect.objectContaining({ domain: 'taken-one.com', available: false }),
      expect.objectContaining({
        domain: 'nope.xyz',
        available: null,
        reason: 'domains of this TLD are not offered',
      }),
    ]);
    expect(calls()).toBe(before + 1); // one call for the three names of one registrar account
    await ask();
    expect(calls()).toBe(before + 1); // answered from the cache
    const bad = await api.get('/v1/domains/availability?names=', resellerA);
    expect(bad.status).toBe(400);
  });
});
