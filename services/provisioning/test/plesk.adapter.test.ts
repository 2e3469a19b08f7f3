import { newId } from '@geminis/service-kit';
import nock from 'nock';
import { usePanelNock } from './support/nock';
import { type PanelConnection, type PanelError } from '../src/modules/panel';
import { createPanelHttp } from '../src/modules/panel-http';
import { pleskAdapter } from '../src/modules/plesk.adapter';
import {
  pleskCustomer,
  pleskFail,
  pleskOk,
  pleskPlan,
  pleskSystemError,
  pleskWebspace,
} from './support/panel-fixtures';

const HOST = 'https://plesk.test:8443';
const AGENT = '/enterprise/control/agent.php';

const connection = (): PanelConnection => ({
  serverId: newId(),
  module: 'plesk',
  hostname: 'plesk.test',
  port: 8443,
  tls: true,
  ipAddress: '192.0.2.30',
  credentials: { secretKey: 'PLESKKEY-123456' },
});

const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a PanelError');
    },
    (err: PanelError) => ({ kind: err.kind, message: err.message }),
  );

/** Matches a packet by the operator and operation it carries (and any other fragments). */
const op =
  (...fragments: string[]) =>
  (body: string) =>
    fragments.every((f) => body.includes(f));

describe('Plesk adapter (XML API)', () => {
  const http = createPanelHttp();
  const panel = () => pleskAdapter(connection(), http, { defaultMs: 2_000, createMs: 2_000 });
  const ref = { username: 'example', domain: 'example.com' };
  const plesk = () => nock(HOST, { reqheaders: { KEY: 'PLESKKEY-123456', 'content-type': 'text/xml' } });

  usePanelNock();
  afterAll(() => http.shutdown());

  it('creates the customer, then its webspace on the service plan', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>', '<login>example</login>'))
      .reply(200, pleskFail('customer', 'get', 1013, 'Client does not exist'))
      .post(AGENT, op('<webspace><get>', '<name>example.com</name>'))
      .reply(200, pleskFail('webspace', 'get', 1013, 'Object not found.'))
      .post(AGENT, op('<customer><add>', '<login>example</login>', '<pname>Ann &amp; Co</pname>'))
      .reply(200, pleskOk('customer', 'add', '<id>12</id><guid>g-12</guid>'))
      .post(
        AGENT,
        op(
          '<webspace><add>',
          '<name>example.com</name>',
          '<owner-login>example</owner-login>',
          '<plan-name>Business</plan-name>',
        ),
      )
      .reply(200, pleskOk('webspace', 'add', '<id>57</id><guid>g-57</guid>'));
    await panel().create({
      username: 'example',
      domain: 'example.com',
      password: 'S3cret-pass!',
      package: 'Business',
      email: 'a@example.com',
      contactName: 'Ann & Co',
      reseller: false,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('reuses a customer an earlier attempt left behind instead of adding it again', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><get>'))
      .reply(200, pleskFail('webspace', 'get', 1013, 'Object not found.'))
      .post(AGENT, op('<webspace><add>'))
      .reply(200, pleskOk('webspace', 'add', '<id>57</id>'));
    await panel().create({
      username: 'example',
      domain: 'example.com',
      password: 'x',
      package: 'Business',
      email: 'a@example.com',
      contactName: 'Ann',
      reseller: false,
    });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses to put a webspace under an existing customer of that login with another e-mail', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example', 'someone@else.test'));
    const err = await failureOf(
      panel().create({
        username: 'example',
        domain: 'example.com',
        password: 'x',
        package: 'Business',
        email: 'a@example.com',
        contactName: 'Ann',
        reseller: false,
      }),
    );
    expect(err).toEqual({
      kind: 'rejected',
      message: 'Plesk: the login example belongs to another customer',
    });
    expect(scope.isDone()).toBe(true);
  });

  const account = {
    username: 'example',
    domain: 'example.com',
    password: 'x',
    package: 'Business',
    email: 'a@example.com',
    contactName: 'Ann',
    reseller: false,
  };

  it('adopts the webspace an earlier attempt created under our customer, adding nothing', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><get>', '<name>example.com</name>'))
      .reply(200, pleskWebspace('example.com', 0, undefined, 12));
    await panel().create(account);
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a webspace of that domain owned by another customer, adding nothing under it', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><get>'))
      .reply(200, pleskWebspace('example.com', 0, undefined, 99));
    expect(await failureOf(panel().create(account))).toEqual({
      kind: 'rejected',
      message: 'Plesk: the webspace example.com belongs to another customer',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('refuses a webspace of that domain when the login has no customer yet (it is someone else’s)', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskFail('customer', 'get', 1013, 'Client does not exist'))
      .post(AGENT, op('<webspace><get>'))
      .reply(200, pleskWebspace('example.com', 0, undefined, 12));
    expect(await failureOf(panel().create(account))).toMatchObject({ kind: 'rejected' });
    expect(scope.isDone()).toBe(true);
  });

  it('reads back a customer add answered 1002 and goes on when that customer is ours', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskFail('customer', 'get', 1013, 'Client does not exist'))
      .post(AGENT, op('<webspace><get>'))
      .reply(200, pleskFail('webspace', 'get', 1013, 'Object not found.'))
      .post(AGENT, op('<customer><add>'))
      .reply(200, pleskFail('customer', 'add', 1002, 'User account example already exists'))
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><add>'))
      .reply(200, pleskOk('webspace', 'add', '<id>57</id>'));
    await panel().create(account);
    expect(scope.isDone()).toBe(true);
  });

  it('reads back a customer add answered 1002 and stops when the customer is someone else’s', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskFail('customer', 'get', 1013, 'Client does not exist'))
      .post(AGENT, op('<webspace><get>'))
      .reply(200, pleskFail('webspace', 'get', 1013, 'Object not found.'))
      .post(AGENT, op('<customer><add>'))
      .reply(200, pleskFail('customer', 'add', 1002, 'User account example already exists'))
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example', 'someone@else.test'));
    expect(await failureOf(panel().create(account))).toEqual({
      kind: 'rejected',
      message: 'Plesk: the login example belongs to another customer',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('reads back a webspace add answered 1007: ours is adopted, another customer’s is a conflict', async () => {
    const addAnswered1007 = (ownerId: number) =>
      plesk()
        .post(AGENT, op('<customer><get>'))
        .reply(200, pleskCustomer('example'))
        .post(AGENT, op('<webspace><get>'))
        .reply(200, pleskFail('webspace', 'get', 1013, 'Object not found.'))
        .post(AGENT, op('<webspace><add>'))
        .reply(200, pleskFail('webspace', 'add', 1007, 'Domain example.com already exists'))
        .post(AGENT, op('<webspace><get>'))
        .reply(200, pleskWebspace('example.com', 0, undefined, ownerId));
    const ours = addAnswered1007(12);
    await panel().create(account);
    expect(ours.isDone()).toBe(true);
    const theirs = addAnswered1007(99);
    expect(await failureOf(panel().create(account))).toEqual({
      kind: 'rejected',
      message: 'Plesk: the webspace example.com belongs to another customer',
    });
    expect(theirs.isDone()).toBe(true);
  });

  it('does not report a webspace of our domain owned by another customer as our account', async () => {
    const scope = plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><get>', '<name>example.com</name>'))
      .reply(200, pleskWebspace('example.com', 0, undefined, 99));
    expect(await panel().lookup(ref)).toBeNull();
    expect(scope.isDone()).toBe(true);
  });

  it('reads an active webspace (status 0) and the name of the service plan its subscription is on', async () => {
    const guid = '5c1b6a4e-6f3a-4b6e-9a6e-1f1b2c3d4e5f';
    const scope = plesk()
      .post(AGENT, op('<customer><get>', '<login>example</login>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><get>', '<name>example.com</name>', '<gen_info/>', '<subscriptions/>'))
      .reply(200, pleskWebspace('example.com', 0, guid))
      .post(AGENT, op('<service-plan><get>', `<filter><guid>${guid}</guid></filter>`))
      .reply(200, pleskPlan('Business', guid));
    expect(await panel().lookup(ref)).toEqual({
      username: 'example',
      domain: 'example.com',
      suspended: false,
      package: 'Business',
    });
    expect(scope.isDone()).toBe(true);
  });

  it('reads a suspended webspace (status 16) on no plan, and a missing customer', async () => {
    plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskCustomer('example'))
      .post(AGENT, op('<webspace><get>', '<name>example.com</name>'))
      .reply(200, pleskWebspace('example.com', 16));
    expect(await panel().lookup(ref)).toEqual({
      username: 'example',
      domain: 'example.com',
      suspended: true,
      package: null,
    });
    plesk()
      .post(AGENT, op('<customer><get>'))
      .reply(200, pleskFail('customer', 'get', 1013, 'Object not found.'));
    expect(await panel().lookup(ref)).toBeNull();
  });

  it('suspends with status 16 and reactivates with status 0 on the webspace', async () => {
    const scope = plesk()
      .post(AGENT, op('<webspace><set>', '<name>example.com</name>', '<status>16</status>'))
      .reply(200, pleskOk('webspace', 'set'))
      .post(AGENT, op('<webspace><set>', '<status>0</status>'))
      .reply(200, pleskOk('webspace', 'set'));
    await panel().suspend(ref, 'Overdue');
    await panel().unsuspend(ref);
    expect(scope.isDone()).toBe(true);
  });

  it('switches the subscription to the guid of the named service plan', async () => {
    const scope = plesk()
      .post(AGENT, op('<service-plan><get>', '<name>Pro</name>'))
      .reply(200, pleskOk('service-plan', 'get', '<id>3</id><guid>plan-guid-3</guid><name>Pro</name>'))
      .post(AGENT, op('<switch-subscription>', '<plan-guid>plan-guid-3</plan-guid>'))
      .reply(200, pleskOk('webspace', 'switch-subscription'));
    await panel().changePackage(ref, 'Pro');
    expect(scope.isDone()).toBe(true);
  });

  it('treats a webspace or customer already gone as terminated', async () => {
    const scope = plesk()
      .post(AGENT, op('<webspace><del>'))
      .reply(200, pleskFail('webspace', 'del', 1013, 'Object not found.'))
      .post(AGENT, op('<customer><del>'))
      .reply(200, pleskOk('customer', 'del'));
    await panel().terminate(ref);
    expect(scope.isDone()).toBe(true);
  });

  it('maps a <system> error 1001 to an auth failure and a per-operation errcode to a rejection', async () => {
    plesk().post(AGENT).reply(200, pleskSystemError(1001, 'Authentication failed - wrong password.'));
    expect(await failureOf(panel().testConnection())).toMatchObject({ kind: 'auth' });
    plesk()
      .post(AGENT)
      .reply(200, pleskFail('webspace', 'set', 1023, 'Operation failed.'));
    expect(await failureOf(panel().suspend(ref, ''))).toEqual({
      kind: 'rejected',
      message: 'Plesk 1023: Operation failed.',
    });
  });

  it('sends HTTP_AUTH_LOGIN/HTTP_AUTH_PASSWD when the server has a login instead of a key', async () => {
    const scope = nock(HOST, { reqheaders: { HTTP_AUTH_LOGIN: 'admin', HTTP_AUTH_PASSWD: 'AdminPass-1' } })
      .post(AGENT, op('<server><get>'))
      .reply(200, pleskOk('server', 'get', '<gen_info><server_name>plesk.test</server_name></gen_info>'));
    await pleskAdapter({ ...connection(), credentials: { login: 'admin', password: 'AdminPass-1' } }, http, {
      defaultMs: 2_000,
      createMs: 2_000,
    }).testConnection();
    expect(scope.isDone()).toBe(true);
  });
});
