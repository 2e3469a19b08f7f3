import { createServer } from 'node:http';
import { type AddressInfo, type Socket } from 'node:net';
import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { usePanelNock } from './support/nock';
import { cpanelAdapter } from '../src/modules/cpanel.adapter';
import { type PanelConnection, type PanelError } from '../src/modules/panel';
import { createPanelHttp } from '../src/modules/panel-http';
import { whmAcct, whmCreated, whmFail, whmOk } from './support/panel-fixtures';

const HOST = 'https://whm.test:2087';
const AUTH = { reqheaders: { authorization: 'whm root:WHMTOKEN123' } };

const connection = (): PanelConnection => ({
  serverId: newId(),
  module: 'cpanel',
  hostname: 'whm.test',
  port: 2087,
  tls: true,
  ipAddress: null,
  credentials: { username: 'root', apiToken: 'WHMTOKEN123' },
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a PanelError');
    },
    (err: PanelError) => ({ kind: err.kind, message: err.message }),
  );

describe('cPanel/WHM adapter (API 1)', () => {
  const http = createPanelHttp({ breaker: { volumeThreshold: 3, resetTimeoutMs: 60_000 } });
  const panel = (conn = connection()) => cpanelAdapter(conn, http, { defaultMs: 2_000, createMs: 2_000 });
  const ref = { username: 'example', domain: 'example.com' };

  usePanelNock();
  afterAll(() => http.shutdown());

  it('creates an account with POST createacct, api.version=1 and the whm token header', async () => {
    const scope = nock(HOST, AUTH)
      .post('/json-api/createacct', (body: Record<string, string>) => {
        expect(body).toEqual({
          username: 'example',
          domain: 'example.com',
          plan: 'basic',
          password: 'S3cret-pass!',
          contactemail: 'a@example.com',
          reseller: '0',
        });
        return true;
      })
      .query({ 'api.version': '1' })
      .reply(200, whmCreated());
    await panel().create({
      username: 'example',
      domain: 'example.com',
      password: 'S3cret-pass!',
      package: 'basic',
      email: 'a@example.com',
      contactName: 'Ann',
      reseller: false,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('turns an HTTP 200 with metadata.result 0 into a rejection carrying the reason', async () => {
    nock(HOST, AUTH)
      .post('/json-api/createacct')
      .query(true)
      .reply(200, whmFail('createacct', 'Sorry, "gold" is not a valid pacakge name'));
    const err = await failureOf(
      panel().create({
        username: 'example',
        domain: 'example.com',
        password: 'x',
        package: 'gold',
        email: 'a@example.com',
        contactName: 'Ann',
        reseller: false,
      }),
    );
    expect(err).toEqual({ kind: 'rejected', message: expect.stringContaining('not a valid pacakge name') });
  });

  it('looks an account up with listaccts, and answers null when WHM lists none', async () => {
    nock(HOST, AUTH)
      .get('/json-api/listaccts')
      .query({
        'api.version': '1',
        search: 'example',
        searchtype: 'user',
        searchmethod: 'exact',
        want: 'user,domain,plan,suspended',
      })
      .reply(200, whmOk('listaccts', { acct: [whmAcct('example', 'example.com', 1)] }));
    expect(await panel().lookup(ref)).toEqual({
      username: 'example',
      domain: 'example.com',
      suspended: true,
      package: 'basic',
    });
    nock(HOST, AUTH)
      .get('/json-api/listaccts')
      .query(true)
      .reply(200, whmOk('listaccts', { acct: [] }));
    expect(await panel().lookup(ref)).toBeNull();
  });

  it('suspends, unsuspends, removes and changes package and password with the documented parameters', async () => {
    const scope = nock(HOST, AUTH)
      .get('/json-api/suspendacct')
      .query({ 'api.version': '1', user: 'example', reason: 'Overdue' })
      .reply(200, whmOk('suspendacct'))
      .get('/json-api/unsuspendacct')
      .query({ 'api.version': '1', user: 'example' })
      .reply(200, whmOk('unsuspendacct'))
      .get('/json-api/removeacct')
      .query({ 'api.version': '1', username: 'example', keepdns: '0' })
      .reply(200, whmOk('removeacct', undefined, 'example account removed'))
      .get('/json-api/changepackage')
      .query({ 'api.version': '1', user: 'example', pkg: 'pro' })
      .reply(200, whmOk('changepackage'))
      .post('/json-api/passwd', { user: 'example', password: 'N3w-pass!' })
      .query({ 'api.version': '1' })
      .reply(200, whmOk('passwd', { app: [] }, 'Password changed for user example'));
    const p = panel();
    await p.suspend(ref, 'Overdue');
    await p.unsuspend(ref);
    await p.terminate(ref);
    await p.changePackage(ref, 'pro');
    await p.changePassword(ref, 'N3w-pass!');
    expect(scope.isDone()).toBe(true);
  });

  it('reports a refused token (HTTP 403) as an auth failure', async () => {
    nock(HOST).get('/json-api/listpkgs').query(true).reply(403, 'Forbidden');
    expect(await failureOf(panel().testConnection())).toMatchObject({ kind: 'auth' });
  });

  it('reports an answer without the API 1 envelope as unavailable (never as success)', async () => {
    nock(HOST)
      .get('/json-api/listpkgs')
      .query(true)
      .reply(200, { result: [{ status: 1, statusmsg: 'ok' }] });
    expect(await failureOf(panel().testConnection())).toMatchObject({ kind: 'unavailable' });
  });

  it('reports no answer in time as a timeout (the call may have happened)', async () => {
    // A panel that accepts the request and never answers (nock cannot abort a delayed reply cleanly).
    const sockets = new Set<Socket>();
    const silent = createServer(() => undefined).on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const port = (silent.address() as AddressInfo).port;
      const conn = { ...connection(), hostname: '127.0.0.1', port, tls: false };
      const err = await failureOf(
        cpanelAdapter(conn, http, { defaultMs: 100, createMs: 100 }).create({
          username: 'example',
          domain: 'example.com',
          password: 'x',
          package: 'basic',
          email: 'a@example.com',
          contactName: 'Ann',
          reseller: false,
        }),
      );
      expect(err.kind).toBe('timeout');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it("opens the server's breaker after repeated 5xx and then fails fast without calling WHM", async () => {
    const conn = connection();
    nock(HOST).get('/json-api/listpkgs').query(true).times(3).reply(503, 'down');
    for (let i = 0; i < 3; i++)
      expect((await failureOf(panel(conn).testConnection())).kind).toBe('unavailable');
    const untouched = nock(HOST).get('/json-api/listpkgs').query(true).reply(200, whmOk('listpkgs'));
    expect(await failureOf(panel(conn).testConnection())).toMatchObject({
      kind: 'unavailable',
      message: expect.stringContaining('circuit is open'),
    });
    expect(untouched.isDone()).toBe(false);
    // Another server's breaker is its own.
    nock(HOST).get('/json-api/listpkgs').query(true).reply(200, whmOk('listpkgs'));
    await panel().testConnection();
  });
});
