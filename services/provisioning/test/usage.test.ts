import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { seedAccount } from './support/change-package';
import { usePanelNock } from './support/nock';
import { pleskOk, whmOk } from './support/panel-fixtures';
import {
  client,
  cpanelServer,
  PLATFORM_TENANT_ID,
  startProvisioning,
  type Client,
  type Harness,
} from './support/provisioning';

const WHM = 'https://whm-u.test:2087';
const whmAuth = { reqheaders: { authorization: 'whm root:TOKEN-U-123456' } };

/** WHM API 1: accountsummary (diskused as WHM writes it) and showbw (this month's bytes). */
function whmUsage(user: string, diskused: string, totalbytes: number) {
  return nock(WHM, whmAuth)
    .get('/json-api/accountsummary')
    .query({ 'api.version': '1', user })
    .reply(
      200,
      whmOk('accountsummary', {
        acct: [
          {
            user,
            domain: `${user}.com`,
            plan: 'starter',
            suspended: 0,
            suspendreason: 'not suspended',
            disklimit: '1000M',
            diskused,
            email: 'a@example.com',
            owner: 'root',
          },
        ],
      }),
    )
    .get('/json-api/showbw')
    .query({ 'api.version': '1', searchtype: 'user', search: user })
    .reply(
      200,
      whmOk('showbw', {
        month: 11,
        year: 2026,
        acct: [{ user, owner: 'root', deleted: 0, limit: '0', totalbytes, bwusage: [] }],
        totalused: totalbytes,
        reseller: 'root',
      }),
    );
}

/** Usage: read by a scheduled batch per server, stored, read by the account's client and its tenant's staff. */
describe('account usage', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  let resellerA: string;
  const servers: Record<string, string> = {};
  usePanelNock();

  beforeAll(async () => {
    h = await startProvisioning({ config: { usage: { enabled: false, perServer: 2 } } });
    api = client(h.url);
    resellerA = h.issuer.tokenFor('reseller', A);
    const bodies: Record<string, unknown> = {
      cpanel: cpanelServer('u-1', {
        hostname: 'whm-u.test',
        credentials: { username: 'root', apiToken: 'TOKEN-U-123456' },
      }),
      plesk: {
        ...cpanelServer('u-2'),
        module: 'plesk',
        hostname: 'plesk-u.test',
        port: 8443,
        ipAddress: '192.0.2.30',
        credentials: { secretKey: 'PLESKKEY-U-123456' },
      },
      directadmin: {
        ...cpanelServer('u-3'),
        module: 'directadmin',
        hostname: 'da-u.test',
        port: 2222,
        credentials: { username: 'admin', loginKey: 'DAKEY-U-123456' },
      },
    };
    for (const [module, body] of Object.entries(bodies)) {
      const s = await api.post('/v1/servers', body, resellerA);
      expect(s.status).toBe(201);
      servers[module] = s.body.id;
    }
  }, 60_000);
  afterAll(() => h?.stop(), 30_000);

  const usageOf = (id: string, token: string) => api.get(`/v1/provisioning/accounts/${id}/usage`, token);

  it('reads every panel in bounded batches per server and answers the stored usage', async () => {
    const seed = (module: string, username: string) =>
      seedAccount(h, A, {
        serverId: servers[module]!,
        module: module as never,
        username,
        domain: `${username}.com`,
        package: 'starter',
      });
    const c1 = await seed('cpanel', 'cpone');
    const c2 = await seed('cpanel', 'cptwo');
    const c3 = await seed('cpanel', 'cpthree');
    const p1 = await seed('plesk', 'pleskone');
    const d1 = await seed('directadmin', 'daone');

    // Never read yet: nulls, not zeros.
    const before = await usageOf(c1.id, resellerA);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ diskBytes: null, bandwidthBytes: null, measuredAt: null });

    // Two per server per run: c1, c2 (in id order among the never-read), p1, d1.
    const [first, second] = [c1, c2, c3].sort((a, b) => (a.id < b.id ? -1 : 1));
    const third = [c1, c2, c3].find((a) => a !== first && a !== second)!;
    whmUsage(first!.username!, '14M', 5_242_880);
    whmUsage(second!.username!, '1.5G', 0);
    const plesk = nock('https://plesk-u.test:8443', { reqheaders: { KEY: 'PLESKKEY-U-123456' } })
      .post('/enterprise/control/agent.php', (b: string) =>
        ['<webspace><get>', '<name>pleskone.com</name>', '<gen_info/>', '<stat/>'].every((f) =>
          b.includes(f),
        ),
      )
      .reply(
        200,
        pleskOk(
          'webspace',
          'get',
          '<id>57</id><data><gen_info><cr_date>2026-01-05</cr_date><name>pleskone.com</name><status>0</status>' +
            '<real_size>73400320</real_size><dns_ip_address>192.0.2.30</dns_ip_address><htype>vrt_hst</htype>' +
            '</gen_info><stat><traffic>1048576</traffic><subdom>0</subdom><box>2</box><web_users>0</web_users>' +
            '</stat></data>',
        ),
      );
    const da = nock('https://da-u.test:2222')
      .get('/CMD_API_SHOW_USER_USAGE')
      .query({ user: 'daone' })
      .reply(200, 'bandwidth=12.5&quota=100&domainptr=0&email_deliveries=3&inode=1520&mysql=1&nemails=2');

    expect(await h.running.built.services.usageSync.runBatch()).toEqual({ read: 4 });
    expect(plesk.isDone() && da.isDone()).toBe(true);
    expect((await usageOf(first!.id, resellerA)).body).toMatchObject({
      diskBytes: 14 * 1024 * 1024,
      bandwidthBytes: 5_242_880,
    });
    expect((await usageOf(second!.id, resellerA)).body).toMatchObject({
      diskBytes: 1.5 * 1024 ** 3,
      bandwidthBytes: 0,
    });
    expect((await usageOf(p1.id, resellerA)).body).toMatchObject({
      diskBytes: 73_400_320,
      bandwidthBytes: 1_048_576,
    });
    const daUsage = (await usageOf(d1.id, resellerA)).body;
    expect(daUsage).toMatchObject({ diskBytes: 100 * 1024 * 1024, bandwidthBytes: 12.5 * 1024 * 1024 });
    expect(Date.parse(daUsage.measuredAt)).not.toBeNaN();
    expect((await usageOf(third.id, resellerA)).body.measuredAt).toBeNull();

    // The next run takes the one left first; a failing panel is skipped, the others are read.
    whmUsage(third.username!, '0M', 10);
    whmUsage(first!.username!, '15M', 6);
    nock('https://plesk-u.test:8443').post('/enterprise/control/agent.php').reply(503, 'down');
    nock('https://da-u.test:2222')
      .get('/CMD_API_SHOW_USER_USAGE')
      .query({ user: 'daone' })
      .reply(200, 'bandwidth=13&quota=101');
    expect(await h.running.built.services.usageSync.runBatch()).toEqual({ read: 3 });
    expect((await usageOf(third.id, resellerA)).body).toMatchObject({ diskBytes: 0, bandwidthBytes: 10 });
    expect((await usageOf(p1.id, resellerA)).body.bandwidthBytes).toBe(1_048_576);
  });

  it("answers the account's client and its tenant's staff; anyone else gets the same 404 as a missing id", async () => {
    const account = await seedAccount(h, A, {
      serverId: servers.cpanel!,
      module: 'cpanel',
      username: 'mine',
      domain: 'mine.com',
      package: 'starter',
    });
    const owner = h.issuer.tokenFor('client', A, account.clientId);
    expect((await usageOf(account.id, owner)).status).toBe(200);
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    expect((await api.get(`/v1/provisioning/accounts/${account.id}/usage?tenantId=${A}`, admin)).status).toBe(
      200,
    );

    const missing = await usageOf(newId(), h.issuer.tokenFor('reseller', B));
    expect(missing.status).toBe(404);
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    for (const token of [
      h.issuer.tokenFor('reseller', B),
      h.issuer.tokenFor('client', B, account.clientId),
      h.issuer.tokenFor('client', A, newId()),
    ]) {
      const other = await usageOf(account.id, token);
      expect(other.status).toBe(404);
      expect(strip(other.body)).toEqual(strip(missing.body));
    }
  });

  it('refuses a bad tenantId with a problem naming the field', async () => {
    const admin = h.issuer.tokenFor('admin', PLATFORM_TENANT_ID);
    const res = await api.get(`/v1/provisioning/accounts/${newId()}/usage?tenantId=nope`, admin);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(res.body)).toContain('tenantId');
  });
});
