import { createHmac } from 'node:crypto';
import { newId, rows, tenantScope } from '@geminis/service-kit';
import { sql } from 'drizzle-orm';
import nock from 'nock';
import {
  signNamecomCallback,
  sortedJson,
  startRegistrarStandIn,
  type RegistrarStandIn,
} from '../src/dev/registrar-stand-in';
import { namecomAccount, registerRequest, runDomainJobsUntil, TRANSFER } from './support/domains';
import { outboxEvents } from './support/jobs';
import { usePanelNock } from './support/nock';
import { client, startProvisioning, type Client, type Harness } from './support/provisioning';

const PUBLIC = 'https://geminis.test';
const TOKEN = 'NAMECOM-TOKEN-123456'; // the API token namecomAccount() gives every account

/** Registrar callbacks: verified over the exact bytes, recorded, acknowledged, applied once in a job. */
describe.each([
  ['both walls', false],
  ['the stores’ filter alone', true],
])('registrar callbacks (%s)', (_walls, firstWallOnly) => {
  let h: Harness;
  let api: Client;
  let registrar: RegistrarStandIn;
  const A = newId();
  const B = newId();
  let accountA: string;
  let accountB: string;
  let urlA: string;
  let urlB: string;
  const domainServiceId = newId();
  usePanelNock();

  const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${h.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const pathOf = (account: string, registrarName = 'namecom') =>
    `/v1/callbacks/registrars/${registrarName}/${account}`;
  const now = () => Math.floor(Date.now() / 1000);
  const transferBody = (domain: string, status = 'completed') =>
    sortedJson({ eventName: 'domain.transfer.status_change', domainName: domain, status, timestamp: now() });

  const callbacksOf = (tenant: string) =>
    h.db.withTenant(tenantScope(tenant), (tx) =>
      rows<{ status: string; reason: string | null; domain: string | null }>(
        tx,
        sql`select status, reason, domain from registrar_callbacks order by received_at`,
      ),
    );

  beforeAll(async () => {
    registrar = await startRegistrarStandIn();
    // The transfer job reads the status once and then waits an hour: here the callback settles it.
    h = await startProvisioning({
      firstWallOnly,
      config: { domains: { registrarTimeoutMs: 2_000, transferPollMs: 3_600_000 } },
    });
    api = client(h.url);
    const resellerA = h.issuer.tokenFor('reseller', A);
    const resellerB = h.issuer.tokenFor('reseller', B);
    accountA = await namecomAccount(api, resellerA, registrar.url, ['.com']);
    accountB = await namecomAccount(api, resellerB, registrar.url, ['.com']);
    urlA = `${PUBLIC}${pathOf(accountA)}`;
    urlB = `${PUBLIC}${pathOf(accountB)}`;
    expect(
      (await api.patch(`/v1/registrars/accounts/${accountA}`, { webhookUrl: urlA }, resellerA)).status,
    ).toBe(200);
    expect(
      (await api.patch(`/v1/registrars/accounts/${accountB}`, { webhookUrl: urlB }, resellerB)).status,
    ).toBe(200);
    // A's client is transferring incoming.com in through A's own account.
    await h.deliver(TRANSFER, A, {
      ...registerRequest('incoming.com', { domainServiceId }),
      eppCode: 'EPP-123',
    });
    await h.running.built.services.domainRunner.runOnce();
  }, 60_000);
  afterAll(async () => {
    await h?.stop();
    await registrar?.close();
  });

  const REFUSED = { status: 404, code: 'provisioning.callback_refused' };
  const expectRefused = (res: { status: number; body: any }) =>
    expect({ status: res.status, code: res.body?.code, detail: res.body?.detail }).toEqual({
      ...REFUSED,
      detail: 'callback not accepted',
    });

  it('refuses, with one and the same answer, every callback that is not exactly what Name.com signed', async () => {
    const body = transferBody('incoming.com');
    const good = signNamecomCallback(urlA, TOKEN, body);
    const [, , nonce] = good.split(',');
    const cases: [string, string, string, string][] = [
      ['tampered body', pathOf(accountA), body.replace('completed', 'failed'), good],
      ['re-serialized JSON', pathOf(accountA), JSON.stringify(JSON.parse(body), null, 2), good],
      [
        'keys reordered',
        pathOf(accountA),
        JSON.stringify({ status: 'completed', ...JSON.parse(body) }),
        good,
      ],
      ['wrong secret', pathOf(accountA), body, signNamecomCallback(urlA, 'ANOTHER-TOKEN-999999', body)],
      ['signed for another URL', pathOf(accountA), body, signNamecomCallback(urlB, TOKEN, body)],
      ['stale timestamp', pathOf(accountA), body, signNamecomCallback(urlA, TOKEN, body, now() - 330)],
      ['future timestamp', pathOf(accountA), body, signNamecomCallback(urlA, TOKEN, body, now() + 330)],
      ['no signature', pathOf(accountA), body, ''],
      ['garbage signature', pathOf(accountA), body, `sha256=zz,${now()},${nonce!}`],
      ['unknown account', pathOf(newId()), body, good],
      ['unknown registrar', pathOf(accountA, 'godaddy'), body, good],
      ['registrar not the account’s', pathOf(accountA, 'namecheap'), body, good],
      ['not an account id', pathOf('not-a-uuid'), body, good],
    ];
    for (const [what, path, sent, signature] of cases) {
      const res = await post(path, sent, signature ? { 'x-namecom-signature': signature } : {});
      expect([what, res.status]).toEqual([what, 404]);
      expectRefused(res);
    }
    // Nothing was applied; what named A's account was recorded as refused, with why.
    expect((await callbacksOf(A)).every((c) => c.status === 'refused')).toBe(true);
    expect((await callbacksOf(A)).map((c) => c.reason)).toEqual(
      expect.arrayContaining([
        'signature mismatch',
        'timestamp outside the window',
        'malformed or missing signature header',
      ]),
    );
    await h.running.built.services.domainRunner.runDue();
    expect(await outboxEvents(h, 'provisioning.domain.transferred.v1')).toEqual([]);
  });

  it('accepts a valid callback at once, applies it in a job exactly once, and refuses its replay', async () => {
    registrar.completeTransfer('incoming.com');
    const body = transferBody('incoming.com');
    const signature = signNamecomCallback(urlA, TOKEN, body);
    const res = await post(pathOf(accountA), body, { 'x-namecom-signature': signature });
    expect(res).toEqual({ status: 200, body: { received: true, duplicate: false } });
    // Recorded and acknowledged; not applied yet (that is the job's work).
    expect((await callbacksOf(A)).filter((c) => c.status === 'accepted')).toHaveLength(1);
    const replay = await post(pathOf(accountA), body, { 'x-namecom-signature': signature });
    expectRefused(replay);
    // The same event with a fresh nonce (a registrar's retry) is another callback, applied harmlessly.
    await runDomainJobsUntil(h, async () => (await callbacksOf(A)).some((c) => c.status === 'applied'));
    await h.running.built.services.domainRunner.runDue();
    const transferred = await outboxEvents(h, 'provisioning.domain.transferred.v1');
    expect(transferred.map((e) => e.data)).toEqual([
      expect.objectContaining({ domainServiceId, domain: 'incoming.com', registrar: 'namecom' }),
    ]);
    const again = await post(pathOf(accountA), body, {
      'x-namecom-signature': signNamecomCallback(urlA, TOKEN, body),
    });
    expect(again.status).toBe(200);
    await h.running.built.services.domainRunner.runDue();
    expect(await outboxEvents(h, 'provisioning.domain.transferred.v1')).toHaveLength(1);
    expect((await callbacksOf(A)).filter((c) => c.reason === 'replayed nonce')).toHaveLength(1);
  });

  it("refuses a callback for an unknown domain, or for another tenant's domain, revealing nothing", async () => {
    const unknown = transferBody('nobody-here.com');
    expectRefused(
      await post(pathOf(accountA), unknown, {
        'x-namecom-signature': signNamecomCallback(urlA, TOKEN, unknown),
      }),
    );
    // B's account, correctly signed with B's token, naming A's domain.
    const other = transferBody('incoming.com', 'failed');
    expectRefused(
      await post(pathOf(accountB), other, { 'x-namecom-signature': signNamecomCallback(urlB, TOKEN, other) }),
    );
    expect((await callbacksOf(B)).map((c) => [c.status, c.reason])).toEqual([
      ['refused', 'unknown domain for this account'],
    ]);
    expect((await callbacksOf(A)).filter((c) => c.domain === 'nobody-here.com').map((c) => c.reason)).toEqual(
      ['unknown domain for this account'],
    );
    await h.running.built.services.domainRunner.runDue();
    expect(await outboxEvents(h, 'provisioning.domain.registration_failed.v1')).toEqual([]);
  });

  it('verifies the generic HMAC-SHA256 scheme over the raw body for other registrars, applying each event once', async () => {
    const resellerA = h.issuer.tokenFor('reseller', A);
    const secret = 'generic-webhook-secret-0123456789';
    const created = await api.post(
      '/v1/registrars/accounts',
      {
        name: 'rc',
        registrar: 'resellerclub',
        endpoint: 'https://test.httpapi.com',
        credentials: { resellerId: '123456', apiKey: 'LB-API-KEY-123', webhookSecret: secret },
      },
      resellerA,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ webhookSecretSet: true });
    expect(JSON.stringify(created.body)).not.toContain(secret);
    const rc = created.body.id as string;
    // A domain held through that account, expiring in a year as far as we know.
    const domainId = newId();
    await h.db.withTenant(tenantScope(A), (tx) =>
      tx.execute(sql`insert into domains (id, tenant_id, domain_service_id, client_id, domain, tld, status, account_id,
                                          registrar, registrar_ref, expires_at)
                     values (${domainId}, ${A}, ${newId()}, ${newId()}, 'rc-held.com', '.com', 'active', ${rc},
                             'resellerclub', '5551234', '2027-06-01T00:00:00Z')`),
    );
    const body = JSON.stringify({ eventId: 'evt-1', event: 'domain.renewed', domain: 'rc-held.com' });
    const sign = (b: string, s = secret) => `sha256=${createHmac('sha256', s).update(b).digest('hex')}`;
    expectRefused(
      await post(pathOf(rc, 'resellerclub'), body, { 'x-signature': sign(body, 'wrong-secret-0123456789') }),
    );
    expectRefused(await post(pathOf(rc, 'resellerclub'), `${body} `, { 'x-signature': sign(body) }));
    expect(await post(pathOf(rc, 'resellerclub'), body, { 'x-signature': sign(body) })).toEqual({
      status: 200,
      body: { received: true, duplicate: false },
    });
    // The registrar's redelivery of the same event is acknowledged and not applied again.
    expect(await post(pathOf(rc, 'resellerclub'), body, { 'x-signature': sign(body) })).toEqual({
      status: 200,
      body: { received: true, duplicate: true },
    });
    const details = nock('https://test.httpapi.com')
      .get('/api/domains/details.json')
      .query((q) => q['order-id'] === '5551234' && q['auth-userid'] === '123456')
      .reply(200, {
        orderid: '5551234',
        domainname: 'rc-held.com',
        currentstatus: 'Active',
        endtime: String(Date.UTC(2028, 5, 1) / 1000),
        orderstatus: ['transferlock'],
        isprivacyprotected: 'false',
        ns1: 'ns1.rc.test',
        ns2: 'ns2.rc.test',
      });
    await runDomainJobsUntil(
      h,
      async () =>
        details.isDone() &&
        (await callbacksOf(A)).some((c) => c.domain === 'rc-held.com' && c.status === 'applied'),
    );
    const changed = (await outboxEvents(h, 'provisioning.domain.expiry_changed.v1')).filter(
      (e) => e.data.domain === 'rc-held.com',
    );
    expect(changed.map((e) => e.data)).toEqual([
      expect.objectContaining({
        expiresAt: '2028-06-01T00:00:00.000Z',
        previousExpiresAt: '2027-06-01T00:00:00.000Z',
      }),
    ]);
  });
});
