import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { seedAccount } from './support/change-package';
import { usePanelNock } from './support/nock';
import { daFail, daLoginPage, pleskOk, pleskSystemError } from './support/panel-fixtures';
import { client, cpanelServer, startProvisioning, type Client, type Harness } from './support/provisioning';

/** Single sign-on into Plesk (server create_session) and DirectAdmin (a one-time login key URL). */
describe('single sign-on into Plesk and DirectAdmin', () => {
  let h: Harness;
  let api: Client;
  const A = newId();
  const B = newId();
  const servers: Record<string, string> = {};
  usePanelNock();

  beforeAll(async () => {
    h = await startProvisioning();
    api = client(h.url);
    const reseller = h.issuer.tokenFor('reseller', A);
    for (const [module, body] of Object.entries({
      plesk: {
        ...cpanelServer('s-1'),
        module: 'plesk',
        hostname: 'plesk-s.test',
        port: 8443,
        ipAddress: '192.0.2.30',
        credentials: { secretKey: 'PLESKKEY-S-123456' },
      },
      directadmin: {
        ...cpanelServer('s-2'),
        module: 'directadmin',
        hostname: 'da-s.test',
        port: 2222,
        credentials: { username: 'admin', loginKey: 'DAKEY-S-123456' },
      },
    })) {
      const s = await api.post('/v1/servers', body, reseller);
      expect(s.status).toBe(201);
      servers[module] = s.body.id;
    }
  }, 60_000);
  afterAll(() => h?.stop(), 30_000);

  const seed = (module: 'plesk' | 'directadmin', username: string) =>
    seedAccount(h, A, {
      serverId: servers[module]!,
      module,
      username,
      domain: `${username}.com`,
      package: 'basic',
    });
  const loginUrl = (id: string, token: string) =>
    api.post(`/v1/provisioning/accounts/${id}/login-url`, {}, token);

  it('opens a Plesk session as the customer, bound to the browser, and answers its one-time URL', async () => {
    const account = await seed('plesk', 'pleskcust');
    let sent = '';
    const scope = nock('https://plesk-s.test:8443', { reqheaders: { KEY: 'PLESKKEY-S-123456' } })
      .post('/enterprise/control/agent.php', (b: string) => {
        sent = b;
        return b.includes('<server><create_session>') && b.includes('<login>pleskcust</login>');
      })
      .reply(200, pleskOk('server', 'create_session', '<id>b1a2c3d4e5f60718293a4b5c6d7e8f90</id>'));
    const res = await loginUrl(account.id, h.issuer.tokenFor('client', A, account.clientId));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      url: 'https://plesk-s.test:8443/enterprise/rsession_init.php?PLESKSESSID=b1a2c3d4e5f60718293a4b5c6d7e8f90',
    });
    expect(scope.isDone()).toBe(true);
    const ip = /<user_ip>([^<]+)<\/user_ip>/.exec(sent)![1]!;
    expect(Buffer.from(ip, 'base64').toString()).toMatch(/^(127\.0\.0\.1|::1)$/);
  });

  it("binds the Plesk session to the client's address as the gateway forwards it (X-Forwarded-For)", async () => {
    const account = await seed('plesk', 'pleskfwd');
    let sent = '';
    nock('https://plesk-s.test:8443')
      .post('/enterprise/control/agent.php', (b: string) => {
        sent = b;
        return b.includes('<server><create_session>');
      })
      .reply(200, pleskOk('server', 'create_session', '<id>c2b3d4e5f60718293a4b5c6d7e8f9001</id>'));
    // The gateway (a loopback peer here, a trusted proxy) overwrites X-Forwarded-For with the client it
    // resolved; the service takes the client's address from it, not the gateway's own.
    const res = await api.call('POST', `/v1/provisioning/accounts/${account.id}/login-url`, {
      body: {},
      token: h.issuer.tokenFor('client', A, account.clientId),
      headers: { 'x-forwarded-for': '203.0.113.7' },
    });
    expect(res.status).toBe(200);
    const ip = /<user_ip>([^<]+)<\/user_ip>/.exec(sent)![1]!;
    expect(Buffer.from(ip, 'base64').toString()).toBe('203.0.113.7');
  });

  it("answers Plesk's refusal as a problem, never as a URL", async () => {
    const account = await seed('plesk', 'pleskref');
    nock('https://plesk-s.test:8443')
      .post('/enterprise/control/agent.php')
      .reply(200, pleskSystemError(1006, 'Permission denied'));
    const res = await loginUrl(account.id, h.issuer.tokenFor('client', A, account.clientId));
    expect(res.status).toBe(502);
    expect(res.body.url).toBeUndefined();
  });

  it('creates a DirectAdmin one-time login URL as the user (login-as with the login key)', async () => {
    const account = await seed('directadmin', 'dacust');
    const asUser = `Basic ${Buffer.from('admin|dacust:DAKEY-S-123456').toString('base64')}`;
    const url = 'https://da-s.test:2222/api/login/url?key=K2VtYWlsX3Rva2VuXzEyMzQ1Njc4OTA';
    const scope = nock('https://da-s.test:2222', { reqheaders: { authorization: asUser } })
      .post('/CMD_API_LOGIN_KEYS', { action: 'create', type: 'one_time_url', expiry: '5m' })
      .reply(
        200,
        `error=0&text=${encodeURIComponent('Login URL created')}&details=${encodeURIComponent(url)}`,
      );
    const res = await loginUrl(account.id, h.issuer.tokenFor('reseller', A));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ url });
    expect(scope.isDone()).toBe(true);
  });

  it("answers DirectAdmin's login page or error as a problem", async () => {
    const account = await seed('directadmin', 'dadenied');
    const token = h.issuer.tokenFor('client', A, account.clientId);
    nock('https://da-s.test:2222').post('/CMD_API_LOGIN_KEYS').reply(200, daLoginPage);
    expect((await loginUrl(account.id, token)).status).toBe(502);
    nock('https://da-s.test:2222')
      .post('/CMD_API_LOGIN_KEYS')
      .reply(200, daFail('Cannot create login key', 'one_time_url is not enabled'));
    expect((await loginUrl(account.id, token)).status).toBe(502);
  });

  it('gives another tenant, or another client, the same 404 as a missing id (no panel call)', async () => {
    const account = await seed('directadmin', 'daisol');
    const missing = await loginUrl(newId(), h.issuer.tokenFor('reseller', B));
    const strip = (b: Record<string, unknown>) => ({ ...b, requestId: undefined });
    for (const token of [
      h.issuer.tokenFor('reseller', B),
      h.issuer.tokenFor('client', B, account.clientId),
      h.issuer.tokenFor('client', A, newId()),
    ]) {
      const res = await loginUrl(account.id, token);
      expect(res.status).toBe(404);
      expect(strip(res.body)).toEqual(strip(missing.body));
    }
  });
});
