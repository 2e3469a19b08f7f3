import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { usePanelNock } from './support/nock';
import { directAdminAdapter } from '../src/modules/directadmin.adapter';
import { type PanelConnection, type PanelError } from '../src/modules/panel';
import { createPanelHttp } from '../src/modules/panel-http';
import { daFail, daList, daLoginPage, daOk, daUserConfig } from './support/panel-fixtures';

const HOST = 'https://da.test:2222';
const AUTH = {
  reqheaders: { authorization: `Basic ${Buffer.from('admin:DAKEY-123456').toString('base64')}` },
};

const connection = (): PanelConnection => ({
  serverId: newId(),
  module: 'directadmin',
  hostname: 'da.test',
  port: 2222,
  tls: true,
  ipAddress: null,
  credentials: { username: 'admin', loginKey: 'DAKEY-123456' },
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a PanelError');
    },
    (err: PanelError) => ({ kind: err.kind, message: err.message }),
  );

describe('DirectAdmin adapter (legacy CMD_API)', () => {
  const http = createPanelHttp();
  const panel = () => directAdminAdapter(connection(), http, { defaultMs: 2_000, createMs: 2_000 });
  const ref = { username: 'example', domain: 'example.com' };

  usePanelNock();
  afterAll(() => http.shutdown());

  it("creates a user on the reseller's first IP with the login key", async () => {
    const scope = nock(HOST, AUTH)
      .get('/CMD_API_SHOW_RESELLER_IPS')
      .reply(200, daList(['192.0.2.20', '192.0.2.21']))
      .post('/CMD_API_ACCOUNT_USER', {
        action: 'create',
        add: 'Submit',
        username: 'example',
        email: 'a@example.com',
        passwd: 'S3cret-pass!',
        passwd2: 'S3cret-pass!',
        domain: 'example.com',
        package: 'basic',
        ip: '192.0.2.20',
        notify: 'no',
      })
      .reply(200, daOk('User created'));
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

  it("creates on the server's own shared IP when it names one, without asking for the reseller's IPs", async () => {
    const scope = nock(HOST, AUTH)
      .post('/CMD_API_ACCOUNT_USER', (b: Record<string, string>) => b.ip === '192.0.2.99')
      .reply(200, daOk('User created'));
    await directAdminAdapter({ ...connection(), ipAddress: '192.0.2.99' }, http, {
      defaultMs: 2_000,
      createMs: 2_000,
    }).create({
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

  it('reads an account from SHOW_USERS and SHOW_USER_CONFIG, and null when it is not listed', async () => {
    nock(HOST, AUTH)
      .get('/CMD_API_SHOW_USERS')
      .reply(200, daList(['other', 'example']))
      .get('/CMD_API_SHOW_USER_CONFIG')
      .query({ user: 'example' })
      .reply(200, daUserConfig('example.com', true));
    expect(await panel().lookup(ref)).toEqual({
      username: 'example',
      domain: 'example.com',
      suspended: true,
      package: 'basic',
    });
    nock(HOST, AUTH)
      .get('/CMD_API_SHOW_USERS')
      .reply(200, daList(['other']));
    expect(await panel().lookup(ref)).toBeNull();
  });

  it('suspends, unsuspends and deletes through CMD_API_SELECT_USERS', async () => {
    const scope = nock(HOST, AUTH)
      .post('/CMD_API_SELECT_USERS', { location: 'CMD_SELECT_USERS', suspend: 'suspend', select0: 'example' })
      .reply(200, daOk())
      .post('/CMD_API_SELECT_USERS', {
        location: 'CMD_SELECT_USERS',
        suspend: 'unsuspend',
        select0: 'example',
      })
      .reply(200, daOk())
      .post('/CMD_API_SELECT_USERS', { confirmed: 'Confirm', delete: 'yes', select0: 'example' })
      .reply(200, daOk('Users deleted'));
    await panel().suspend(ref, 'Overdue');
    await panel().unsuspend(ref);
    await panel().terminate(ref);
    expect(scope.isDone()).toBe(true);
  });

  it('turns error=1 into a rejection with its text and details', async () => {
    nock(HOST, AUTH)
      .post('/CMD_API_MODIFY_USER')
      .reply(200, daFail('Cannot Modify User', 'Package gold does not exist'));
    expect(await failureOf(panel().changePackage(ref, 'gold'))).toEqual({
      kind: 'rejected',
      message: 'DirectAdmin CMD_API_MODIFY_USER: Cannot Modify User: Package gold does not exist',
    });
  });

  it('recognises the HTML login page DirectAdmin answers to a refused login key as an auth failure', async () => {
    nock(HOST).get('/CMD_API_SHOW_USERS').reply(200, daLoginPage, { 'content-type': 'text/html' });
    expect(await failureOf(panel().testConnection())).toMatchObject({ kind: 'auth' });
  });

  it('reports a command outside the key’s authority level as an auth failure', async () => {
    nock(HOST)
      .post('/CMD_API_USER_PASSWD')
      .reply(200, daFail('Error', 'CMD_API_USER_PASSWD does not exist in your authority level'));
    expect(await failureOf(panel().changePassword(ref, 'N3w-pass!'))).toMatchObject({ kind: 'auth' });
  });
});
